//! Pilgrim groups: a client's plan of who arrives when, stays where and leaves when
//! (docs/domain.md section 5, rule R11).

use chrono::NaiveDate;

use crate::access::{self, Caller};
use crate::domain::Invalid;
use crate::domain::ids::{GroupId, OrganizationId, SeasonId};
use crate::domain::organization::OrgKind;
use crate::domain::readiness::{Group, Stay};
use crate::domain::season::Place;
use crate::domain::text::Name;
use crate::error::{Details, Error, FieldError};
use crate::storage::models::{GroupRow, SeasonRow};
use crate::storage::plans::{self as store, group_of};
use crate::storage::{DbConnection, holds, now, seasons};

/// A group as a client describes it, before it is checked.
#[derive(Clone, Debug)]
pub struct GroupPlan {
    pub name: String,
    pub pilgrims: i64,
    pub arrival: (Place, NaiveDate),
    pub departure: (Place, NaiveDate),
    pub stays: Vec<Stay>,
}

/// A planned group with its bookkeeping.
#[derive(Clone, Debug)]
pub struct PlannedGroup {
    pub group: Group,
    pub season_id: SeasonId,
    pub organization_id: OrganizationId,
    pub version: i64,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

fn planned(row: GroupRow) -> Result<PlannedGroup, Error> {
    Ok(PlannedGroup {
        group: group_of(&row)?,
        season_id: row.season_id,
        organization_id: row.organization_id,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The group a plan describes, checked: a name, an itinerary that holds together, inside the
/// season.
fn checked(plan: GroupPlan, id: &GroupId, season: &SeasonRow) -> Result<Group, Error> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = Name::parse(&plan.name)
        .map_err(|e| errors.push(FieldError::new("name", e)))
        .ok();
    let group = Group {
        id: id.to_owned(),
        name: name.map(Name::into_string).unwrap_or_default(),
        pilgrims: plan.pilgrims,
        arrival_port: plan.arrival.0,
        arrival_date: plan.arrival.1,
        departure_port: plan.departure.0,
        departure_date: plan.departure.1,
        stays: plan.stays,
    };
    errors.extend(
        group
            .check()
            .into_iter()
            .map(|(f, e)| FieldError::new(f, e)),
    );
    if group.arrival_date < season.starts_on {
        errors.push(FieldError::new(
            "arrival.date",
            Invalid::new("outside_season"),
        ));
    }
    if group.departure_date > season.ends_on {
        errors.push(FieldError::new(
            "departure.date",
            Invalid::new("outside_season"),
        ));
    }
    if errors.is_empty() {
        Ok(group)
    } else {
        Err(Error::invalid(errors))
    }
}

/// R11: a client's planned pilgrims never exceed what it holds itself. Takes the allocation lock.
fn check_planned(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    client: &OrganizationId,
    replacing: Option<&GroupId>,
    pilgrims: i64,
) -> Result<(), Error> {
    holds::lock_allocation(conn, season_id, client).map_err(|e| match e {
        holds::HoldError::Db(e) => e.into(),
        _ => Error::conflict("no_allocation"),
    })?;
    let allocation = seasons::allocation(conn, season_id, client)?
        .ok_or_else(|| Error::conflict("no_allocation"))?;
    let planned = store::planned(conn, season_id, client, replacing)?;
    let own = allocation.pilgrims - allocation.suballocated;
    if planned + pilgrims > own {
        return Err(Error::conflict("quota_exceeded")
            .with_fields(vec![FieldError::new(
                "pilgrims",
                Invalid::new("over_allocation"),
            )])
            .with_details(Details {
                requested: Some(pilgrims),
                available: Some((own - planned).max(0)),
                ..Details::default()
            }));
    }
    Ok(())
}

fn row_of(
    group: &Group,
    season_id: &SeasonId,
    caller: &Caller,
    client_office: Option<OrganizationId>,
) -> Result<GroupRow, Error> {
    let at = now();
    Ok(GroupRow {
        id: group.id.clone(),
        season_id: season_id.to_owned(),
        organization_id: caller.organization_id.clone(),
        office_id: client_office,
        country: caller.country.clone().unwrap_or_default(),
        name: group.name.clone(),
        pilgrims: group.pilgrims,
        arrival_port: group.arrival_port,
        arrival_date: group.arrival_date,
        departure_port: group.departure_port,
        departure_date: group.departure_date,
        stays: serde_json::to_string(&group.stays).map_err(|_| Error::internal())?,
        version: 1,
        created_at: at,
        updated_at: at,
    })
}

/// Adds a group to the caller's plan (offices and agencies, R11). `plan` is the request's input, or
/// why it could not be read: looked at once the caller may plan and the season exists. Run inside
/// a write transaction.
pub fn plan(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    plan: Result<GroupPlan, Error>,
) -> Result<PlannedGroup, Error> {
    access::file_contracts(caller)?;
    let season = super::seasons::find(conn, season_id)?;
    let group = checked(plan?, &GroupId::generate(), &season)?;
    check_planned(
        conn,
        &season.id,
        &caller.organization_id,
        None,
        group.pilgrims,
    )?;
    let office = match caller.kind {
        OrgKind::Agency => caller.parent_id.clone(),
        _ => Some(caller.organization_id.clone()),
    };
    let row = row_of(&group, &season.id, caller, office)?;
    store::insert_group(conn, &row)?;
    super::feed::readiness_inputs_changed(conn, &row.season_id, &row.organization_id)?;
    planned(row)
}

/// One page of the season's groups the caller may see (of one client, if given).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    client: Option<&OrganizationId>,
    after: Option<&GroupId>,
    limit: i64,
) -> Result<Vec<PlannedGroup>, Error> {
    super::seasons::find(conn, season_id)?;
    store::list_groups(
        conn,
        &access::plan_scope(caller),
        season_id,
        client,
        after,
        limit,
    )?
    .into_iter()
    .map(planned)
    .collect()
}

fn visible(conn: &mut DbConnection, caller: &Caller, id: &GroupId) -> Result<GroupRow, Error> {
    store::find_group_visible(conn, &access::plan_scope(caller), id)?.ok_or_else(Error::not_found)
}

/// Only the client that planned a group changes it.
fn own(caller: &Caller, row: &GroupRow) -> Result<(), Error> {
    access::change_own_plan(caller, &row.organization_id)
}

/// One group the caller may see.
pub fn find(conn: &mut DbConnection, caller: &Caller, id: &GroupId) -> Result<PlannedGroup, Error> {
    planned(visible(conn, caller, id)?)
}

/// Replaces a group's details and itinerary (its client), if still at `version` (`None`: whatever
/// is current). Run inside a write transaction.
pub fn replan(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &GroupId,
    version: Result<Option<i64>, Error>,
    plan: Result<GroupPlan, Error>,
) -> Result<PlannedGroup, Error> {
    let current = visible(conn, caller, id)?;
    own(caller, &current)?;
    let version = version?.unwrap_or(current.version);
    let season = super::seasons::find(conn, &current.season_id)?;
    let group = checked(plan?, &current.id, &season)?;
    check_planned(
        conn,
        &season.id,
        &current.organization_id,
        Some(&current.id),
        group.pilgrims,
    )?;
    let row = GroupRow {
        version: current.version,
        created_at: current.created_at,
        ..row_of(&group, &season.id, caller, current.office_id.clone())?
    };
    if !store::update_group(conn, &row, version)? {
        return Err(Error::precondition_failed());
    }
    super::feed::readiness_inputs_changed(conn, &current.season_id, &current.organization_id)?;
    planned(visible(conn, caller, id)?)
}

/// Removes a group from the plan (its client). Run inside a write transaction.
pub fn remove(conn: &mut DbConnection, caller: &Caller, id: &GroupId) -> Result<(), Error> {
    let current = visible(conn, caller, id)?;
    own(caller, &current)?;
    store::delete_group(conn, &current.id)?;
    super::feed::readiness_inputs_changed(conn, &current.season_id, &current.organization_id)
}
