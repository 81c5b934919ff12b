//! A contract's sheet (docs/domain.md section 12): its terms, parties, dates, who signed each step
//! and when, and the hash of its history, as one printable page, so that a paper copy can be
//! checked against the portal. Every interface that prints a contract calls this.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::access::Caller;
use crate::domain::ids::ContractId;
use crate::error::Error;
use crate::storage::models::ContractEventRow;
use crate::storage::{DbConnection, organizations, seasons, users};

use super::contracts::{self, ContractDetails};

/// A step of the contract's own lifecycle and who took it.
#[derive(Clone, Debug)]
pub struct Signature {
    /// `submit`, `accept`, `approve`, ...
    pub action: String,
    pub organization: String,
    /// The person, if a person took it (not an API key).
    pub person: Option<String>,
    pub at: NaiveDateTime,
}

pub struct Sheet {
    pub details: ContractDetails,
    pub season: String,
    /// The contract's own steps (not its amendments'), oldest first.
    pub signatures: Vec<Signature>,
    /// How many events its history holds, amendments' included.
    pub events: usize,
    /// SHA-256 over every event of its history, in order: the same for every reader, and
    /// different as soon as anything is added.
    pub history_hash: String,
}

/// One event as the hash reads it.
fn line(e: &ContractEventRow) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}\n",
        e.id,
        e.amendment_id.as_ref().map_or("", |id| id.as_str()),
        e.action,
        e.from_status.as_deref().unwrap_or(""),
        e.to_status,
        e.reason.as_deref().unwrap_or(""),
        e.organization_id,
        e.actor_user_id.as_ref().map_or("", |id| id.as_str()),
        e.actor_api_key_id.as_ref().map_or("", |id| id.as_str()),
        e.at.and_utc().to_rfc3339(),
    )
}

/// The SHA-256 of a history, lowercase hex.
pub fn history_hash(events: &[ContractEventRow]) -> String {
    let mut digest = Sha256::new();
    for e in events {
        digest.update(line(e));
    }
    format!("{:x}", digest.finalize())
}

/// The sheet of a contract the caller sees (prices only for those who see them).
pub fn sheet(conn: &mut DbConnection, caller: &Caller, id: &ContractId) -> Result<Sheet, Error> {
    let details = contracts::find(conn, (caller, None), id)?;
    let events = contracts::history(conn, caller, id)?;
    let season = seasons::find(conn, &details.contract.season_id)?
        .map(|s| s.name)
        .unwrap_or_default();
    let mut signatures = Vec::new();
    for e in events.iter().filter(|e| e.amendment_id.is_none()) {
        let organization = organizations::find(conn, &e.organization_id)?
            .map(|o| o.name)
            .unwrap_or_default();
        let person = match &e.actor_user_id {
            Some(user) => users::find(conn, user)?.map(|u| u.full_name),
            None => None,
        };
        signatures.push(Signature {
            action: e.action.clone(),
            organization,
            person,
            at: e.at,
        });
    }
    Ok(Sheet {
        details,
        season,
        signatures,
        events: events.len(),
        history_hash: history_hash(&events),
    })
}
