//! Inspections of an approved contract's facility by tawafa establishments and the ministry; a
//! failure takes the contract's coverage out of readiness until a later pass (docs/domain.md
//! section 6).

use chrono::NaiveDate;

use crate::access::{self, Caller};
use crate::domain::Invalid;
use crate::domain::calendar::today_in_makkah;
use crate::domain::contract::ContractStatus;
use crate::domain::ids::{ContractId, InspectionId};
use crate::domain::readiness::Inspection;
use crate::error::Error;
use crate::storage::models::InspectionRow;
use crate::storage::plans::{self as store, inspection_of};
use crate::storage::{DbConnection, contracts, now};

/// How far before its season starts or after it ends an inspection may be dated: half a year
/// (buildings are inspected for their licences months before the pilgrims arrive; closing
/// reports come after they leave).
pub const SEASON_MARGIN_DAYS: i64 = 183;

/// The longest findings text of an inspection.
pub const MAX_FINDINGS_CHARS: usize = 2000;

/// What an inspector reports.
#[derive(Clone, Debug)]
pub struct NewInspection {
    pub contract_id: ContractId,
    pub inspected_on: NaiveDate,
    pub passed: bool,
    pub findings: String,
}

/// Records an inspection of a contract the caller may see (tawafa establishments and the ministry).
/// The contract must be approved, the day not in the future (Makkah time) and within its season
/// give or take [`SEASON_MARGIN_DAYS`], and a failure says what
/// failed. `report` is the request's input, or why it could not be read: looked at once the caller
/// may inspect. Run inside a write transaction.
pub fn record(
    conn: &mut DbConnection,
    caller: &Caller,
    report: Result<NewInspection, Error>,
) -> Result<Inspection, Error> {
    access::inspect(caller)?;
    let report = report?;
    let contract =
        contracts::find_visible(conn, &access::contract_scope(caller), &report.contract_id)?
            .ok_or_else(|| {
                Error::invalid_field("contract_id", Invalid::new("unknown_reference"))
            })?;
    if contract.status != ContractStatus::Approved {
        return Err(Error::conflict("invalid_transition"));
    }
    if report.inspected_on > today_in_makkah() {
        return Err(Error::invalid_field(
            "inspected_on",
            Invalid::new("in_future"),
        ));
    }
    let season = super::seasons::find(conn, &contract.season_id)?;
    let margin = chrono::Duration::days(SEASON_MARGIN_DAYS);
    if report.inspected_on < season.starts_on - margin
        || report.inspected_on > season.ends_on + margin
    {
        return Err(Error::invalid_field(
            "inspected_on",
            Invalid::new("out_of_range"),
        ));
    }
    let findings = report.findings.trim().to_owned();
    if findings.chars().count() > MAX_FINDINGS_CHARS {
        return Err(Error::invalid_field(
            "findings",
            Invalid::with_limit("too_long", MAX_FINDINGS_CHARS),
        ));
    }
    if !report.passed && findings.is_empty() {
        return Err(Error::invalid_field("findings", Invalid::new("required")));
    }
    let (user, key) = caller.actor_ids();
    let row = InspectionRow {
        id: InspectionId::generate(),
        contract_id: contract.id.clone(),
        facility_id: contract.facility_id.clone(),
        inspected_on: report.inspected_on,
        result: if report.passed { "pass" } else { "fail" }.to_owned(),
        findings,
        organization_id: caller.organization_id.clone(),
        actor_user_id: user,
        actor_api_key_id: key,
        created_at: now(),
    };
    store::insert_inspection(conn, &row)?;
    super::feed::inspection(conn, &contract, &row.id, &row.result)?;
    super::feed::readiness_inputs_changed(conn, &contract.season_id, &contract.client_id)?;
    if !report.passed {
        crate::notify::inspection_failed(conn, &contract, &row.findings, &caller.organization_id)?;
    }
    Ok(inspection_of(row)?)
}

/// One page of the inspections of contracts the caller may see (of one contract, if given),
/// oldest first.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    contract: Option<&ContractId>,
    after: Option<&InspectionId>,
    limit: i64,
) -> Result<Vec<Inspection>, Error> {
    let filter = store::InspectionFilter {
        contract_id: contract,
        id: None,
    };
    store::inspections(conn, &access::contract_scope(caller), filter, after, limit)?
        .into_iter()
        .map(|r| Ok(inspection_of(r)?))
        .collect()
}

/// One inspection, if the caller may see its contract.
pub fn find(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &InspectionId,
) -> Result<Inspection, Error> {
    let filter = store::InspectionFilter {
        contract_id: None,
        id: Some(id),
    };
    let row = store::inspections(conn, &access::contract_scope(caller), filter, None, 1)?
        .pop()
        .ok_or_else(Error::not_found)?;
    Ok(inspection_of(row)?)
}
