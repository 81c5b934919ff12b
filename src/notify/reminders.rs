//! Deadline reminders: clients whose readiness is incomplete are reminded 14, 7 and 1 days before
//! each filing deadline of their season (their own, if an extension moved it), once per reminder.
//! Wallet reminders: a client whose wallet does not cover its contracts awaiting approval that
//! start within the next 14 days is told 14, 7 and 1 days before the first of them starts, once
//! per reminder (docs/domain.md section 11, R20).
//! Expiry reminders: the provider of a facility whose paper lapses before the end of an approved
//! contract relying on it, and the contract's client, are told 30, 14 and 3 days before it lapses,
//! once per reminder (docs/domain.md section 12, R25).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::templates::{Params, Template};
use super::{deliver, link};
use crate::domain::document;
use crate::domain::ids::{ContractId, OrganizationId};
use crate::domain::money::signed;
use crate::domain::season::ContractType;
use crate::storage::documents::{self as papers, HeldBy, HeldRow};
use crate::storage::models::SeasonRow;
use crate::storage::{DbConnection, ledger, notifications, seasons, write_transaction};
use crate::usecases::feed::{self, Recipient};

/// Days before a deadline when clients are reminded.
pub const DAYS_BEFORE: [i64; 3] = [14, 7, 1];

/// The reminder due on `today` for a deadline: the most urgent one whose day has come.
pub fn due(deadline: NaiveDate, today: NaiveDate) -> Option<i64> {
    let left = (deadline - today).num_days();
    if left <= 0 {
        return None;
    }
    most_urgent(left)
}

/// The most urgent of [`DAYS_BEFORE`] that `left` days have reached, if any.
fn most_urgent(left: i64) -> Option<i64> {
    most_urgent_of(&DAYS_BEFORE, left)
}

/// The most urgent of `days` that `left` days have reached, if any.
fn most_urgent_of(days: &[i64], left: i64) -> Option<i64> {
    days.iter().copied().filter(|k| left <= *k).min()
}

/// Sends the reminders due on `today` that were not sent yet; returns how many.
pub fn run(conn: &mut DbConnection, today: NaiveDate) -> Result<usize, crate::error::Error> {
    let mut sent = papers(conn, today)?;
    for season in seasons::open_on(conn, today)? {
        sent += wallets(conn, &season, today)?;
        sent += deadlines(conn, &season, today)?;
    }
    Ok(sent)
}

/// Tells each client of the season whose readiness is incomplete of each filing deadline whose
/// reminder day has come, once per reminder; returns how many were sent. On a day when no
/// deadline of the season (nor any extension) has a reminder due, it reads only the extensions;
/// otherwise the incomplete clients come from the readiness view, and reminders already sent are
/// read at once rather than claimed again one by one.
fn deadlines(
    conn: &mut DbConnection,
    season: &SeasonRow,
    today: NaiveDate,
) -> Result<usize, crate::error::Error> {
    let filing_days = seasons::FilingDays::read(conn, season, None)?;
    let mut due_days: Vec<i64> = filing_days
        .days()
        .filter_map(|deadline| due(deadline, today))
        .collect();
    if due_days.is_empty() {
        return Ok(0);
    }
    due_days.sort_unstable();
    due_days.dedup();
    let claimed: HashSet<(OrganizationId, String, i32)> =
        notifications::claimed_reminders(conn, &season.id, &due_days)?
            .into_iter()
            .collect();
    let mut sent = 0;
    for client in crate::usecases::readiness::incomplete_clients(conn, &season.id)? {
        for contract_type in ContractType::ALL {
            let deadline = filing_days.of(&client, *contract_type);
            let Some(days) = due(deadline, today) else {
                continue;
            };
            let key = (
                client.clone(),
                contract_type.as_str().to_owned(),
                days as i32,
            );
            if claimed.contains(&key) {
                continue;
            }
            sent += write_transaction(conn, |conn| -> Result<usize, crate::error::Error> {
                let first =
                    notifications::claim_reminder(conn, &season.id, &client, *contract_type, days)?;
                if !first {
                    return Ok(0);
                }
                let params = Params {
                    contract_type: contract_type.as_str().to_owned(),
                    dates: deadline.to_string(),
                    season: season.name.clone(),
                    days_left: (deadline - today).num_days(),
                    link: link(&format!("/readiness/{client}")),
                    ..Params::default()
                };
                let sent = deliver(conn, &client, Template::DeadlineReminder, &params, None)?;
                feed::reminder(conn, &season.id, Recipient::Client(&client), &sent)?;
                Ok(1)
            })?;
        }
    }
    Ok(sent)
}

/// Days ahead in which what falls due is weighed against the wallet.
pub const WALLET_HORIZON: u64 = 14;

/// Tells each client of the season whose wallet lacks what its contracts awaiting approval and
/// starting within [`WALLET_HORIZON`] days need, once per reminder before the first of them starts
/// (one that already started counts as a day away); returns how many were sent.
fn wallets(
    conn: &mut DbConnection,
    season: &SeasonRow,
    today: NaiveDate,
) -> Result<usize, crate::error::Error> {
    let by = today + chrono::Days::new(WALLET_HORIZON);
    let mut sent = 0;
    for short in ledger::shortfalls(conn, &season.id, None, Some(by))? {
        let left = (short.first_day - today).num_days().max(1);
        let Some(days) = most_urgent(left) else {
            continue;
        };
        sent += write_transaction(conn, |conn| -> Result<usize, crate::error::Error> {
            let first = notifications::claim_wallet_reminder(
                conn,
                &season.id,
                &short.client_id,
                short.first_day,
                days,
            )?;
            if !first {
                return Ok(0);
            }
            let params = Params {
                dates: short.first_day.to_string(),
                season: season.name.clone(),
                days_left: left,
                amount: signed(short.lacking()),
                falling_due: signed(short.awaiting),
                wallet: signed(short.free),
                link: link(&format!("/readiness/{}", short.client_id)),
                ..Params::default()
            };
            let sent = deliver(conn, &short.client_id, Template::WalletShort, &params, None)?;
            feed::reminder(conn, &season.id, Recipient::Client(&short.client_id), &sent)?;
            Ok(1)
        })?;
    }
    Ok(sent)
}

/// Days before a facility paper lapses when those relying on it are told.
pub const PAPER_DAYS_BEFORE: [i64; 3] = [30, 14, 3];

/// Tells the provider and the client of each approved contract not ended yet whose facility's
/// paper lapses before the contract ends, once per reminder before the paper's last valid day;
/// returns how many were sent.
fn papers(conn: &mut DbConnection, today: NaiveDate) -> Result<usize, crate::error::Error> {
    let held = papers::held(conn, HeldBy::EndingFrom(today))?;
    let lapses = document::lapses(held.iter().map(HeldRow::held));
    let contracts: HashMap<&ContractId, &HeldRow> =
        held.iter().map(|h| (&h.contract_id, h)).collect();
    let mut sent = 0;
    for lapse in lapses {
        let left = (lapse.valid_until - today).num_days();
        let Some(days) = (left > 0)
            .then(|| most_urgent_of(&PAPER_DAYS_BEFORE, left))
            .flatten()
        else {
            continue;
        };
        let Some(contract) = contracts.get(&lapse.contract_id) else {
            continue;
        };
        let params = Params {
            contract_id: lapse.contract_id.to_string(),
            facility: lapse.facility_name.0.clone(),
            facility_ar: lapse.facility_name.1.clone(),
            document: lapse.kind.as_str().to_owned(),
            dates: lapse.valid_until.to_string(),
            days_left: left,
            link: link(&format!("/contracts/{}", lapse.contract_id)),
            ..Params::default()
        };
        let told = [
            Recipient::Provider(&contract.provider_id),
            Recipient::Client(&contract.client_id),
        ];
        for to in told {
            let (Recipient::Provider(org) | Recipient::Client(org)) = to;
            sent += write_transaction(conn, |conn| -> Result<usize, crate::error::Error> {
                if !papers::claim_reminder(conn, &lapse.document_id, org, days)? {
                    return Ok(0);
                }
                let id = deliver(conn, org, Template::DocumentExpiring, &params, None)?;
                feed::reminder(conn, &contract.season_id, to, &id)?;
                Ok(1)
            })?;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_urgent_reminder_whose_day_has_come() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let deadline = d("2027-03-15");
        assert_eq!(due(deadline, d("2027-02-28")), None, "15 days left");
        assert_eq!(due(deadline, d("2027-03-01")), Some(14));
        assert_eq!(due(deadline, d("2027-03-07")), Some(14));
        assert_eq!(due(deadline, d("2027-03-08")), Some(7));
        assert_eq!(due(deadline, d("2027-03-14")), Some(1));
        assert_eq!(due(deadline, d("2027-03-15")), None, "the deadline itself");
    }
}
