//! The names a contract shows (its facility's with the facility's city, its client's and its
//! provider's): read for a set of contracts in one statement, and kept by each process between
//! requests under the names' edition.
//!
//! Every change of such a name writes a new tag into `names_edition` in the same transaction
//! ([`renamed`]). A statement that reads contracts reads the tag beside them ([`edition`]), in the
//! same snapshot; the names this process keeps under that tag are the names of that snapshot, so
//! they serve as if the statement had joined them. Names not kept yet, or kept under another tag,
//! are read in one statement with the tag they were read at, and kept under it. Several processes
//! need not tell each other anything: each sees the new tag in its next read. Only names are kept,
//! and only looked up for the contracts a caller has just been allowed to read.

use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::Text;
use foldhash::HashMap;

use super::models::ContractRow;
use super::schema::{facilities, names_edition, organizations};
use super::{DbConnection, damaged, prepared::KeepPrepared};
use crate::domain::ids::{FacilityId, IdText, OrganizationId};
use crate::domain::season::Place;
use crate::domain::text::Shared;

/// Names of the organisations and facilities some contracts show. Each name is held once and
/// shared (see [`Shared`]): naming a page of contracts copies no text. Looked up by id three times
/// a contract, with foldhash rather than SipHash: the ids are the portal's own, not a caller's.
#[derive(Default, Clone)]
pub struct Names {
    organizations: HashMap<String, Named>,
    facilities: HashMap<String, (Named, City)>,
}

/// A name, and its Arabic form where there is one.
pub type Named = (Shared, Option<Shared>);

/// A facility's city as read once: its place, or the stored text that names none.
type City = Result<Place, Shared>;

/// A name and its Arabic form as stored (empty where there is none).
pub(crate) fn named(name: String, arabic: String) -> Named {
    (name.into(), (!arabic.is_empty()).then(|| arabic.into()))
}

impl Names {
    pub fn organization(&self, id: &OrganizationId) -> Named {
        self.organizations
            .get(id.as_str())
            .cloned()
            .unwrap_or_default()
    }

    /// A facility's names and city.
    pub fn facility(&self, id: &FacilityId) -> QueryResult<(Named, Place)> {
        match self.facilities.get(id.as_str()) {
            Some((named, Ok(city))) => Ok((named.clone(), *city)),
            Some((_, Err(city))) => Err(damaged("facility city", city)),
            None => Err(damaged("facility city", "")),
        }
    }

    fn keep(&mut self, (id, name, name_ar, city): (String, String, String, String)) {
        // An organisation's row has no city, a facility's has.
        if city.is_empty() {
            self.organizations.insert(id, named(name, name_ar));
        } else {
            let city = Place::parse(&city).ok_or_else(|| Shared::from(city));
            self.facilities.insert(id, (named(name, name_ar), city));
        }
    }

    /// Takes into this set what `other` holds of one organisation or facility, its names shared
    /// (not copied); false when `other` holds nothing of it.
    fn share(&mut self, other: &Names, id: &str) -> bool {
        if let Some(n) = other.organizations.get(id) {
            self.organizations.insert(id.to_owned(), n.clone());
        } else if let Some(n) = other.facilities.get(id) {
            self.facilities.insert(id.to_owned(), n.clone());
        } else {
            return false;
        }
        true
    }

    fn len(&self) -> usize {
        self.organizations.len() + self.facilities.len()
    }
}

/// The ids of the organisations and of the facilities `rows` show, each once.
fn shown_ids<'r>(
    rows: impl Iterator<Item = &'r ContractRow> + Clone,
) -> (Vec<&'r str>, Vec<&'r str>) {
    let mut org_ids: Vec<&str> = rows
        .clone()
        .flat_map(|r| [r.client_id.as_str(), r.provider_id.as_str()])
        .collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let mut facility_ids: Vec<&str> = rows.map(|r| r.facility_id.as_str()).collect();
    facility_ids.sort_unstable();
    facility_ids.dedup();
    (org_ids, facility_ids)
}

/// A name as read: the id, the name, the Arabic name (empty when none), the facility's city
/// (empty for an organisation) and the edition it was read at.
type NameRow = (String, String, String, String, String);

/// Both kinds of name in one statement, each row with the edition it was read at. (The backends'
/// union is written per backend: the two-backend connection has none.) On PostgreSQL the
/// statement is kept prepared under its text, which the number of ids does not change (`= ANY`);
/// on SQLite each number of ids is another text, and it is not kept.
fn read(
    conn: &mut DbConnection,
    org_ids: &[&str],
    facility_ids: &[&str],
) -> QueryResult<Vec<NameRow>> {
    super::load_prepared_on_postgres!(
        conn,
        organizations::table
            .filter(organizations::id.eq_any(org_ids))
            .select((
                organizations::id,
                organizations::name,
                organizations::name_ar,
                sql::<Text>("''"),
                edition(),
            ))
            .union_all(
                facilities::table
                    .filter(facilities::id.eq_any(facility_ids))
                    .select((
                        facilities::id,
                        facilities::name,
                        facilities::name_ar,
                        facilities::city,
                        edition(),
                    )),
            )
    )
}

/// The names `rows` show, read now (inside a transaction: as that transaction sees them).
pub fn names(conn: &mut DbConnection, rows: &[ContractRow]) -> QueryResult<Names> {
    let mut names = Names::default();
    if rows.is_empty() {
        return Ok(names);
    }
    let (org_ids, facility_ids) = shown_ids(rows.iter());
    for (id, name, name_ar, city, _) in read(conn, &org_ids, &facility_ids)? {
        names.keep((id, name, name_ar, city));
    }
    Ok(names)
}

/// The edition of the names, for a statement that reads contracts to select beside them.
pub fn edition() -> SqlLiteral<Text> {
    sql::<Text>("(SELECT names_edition.tag FROM names_edition)")
}

/// The tag of an edition of the names as a statement reads it beside each contract: kept inline,
/// so a page of contracts allocates nothing for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edition(IdText);

impl Edition {
    pub fn from_stored(tag: &str) -> Edition {
        Edition(IdText::new(tag))
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Starts a new edition of the names: called in the transaction that changes a name a contract
/// shows (an organisation's or a facility's).
pub fn renamed(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::update(names_edition::table.filter(names_edition::id.eq(1)))
        .set(names_edition::tag.eq(uuid::Uuid::now_v7().to_string()))
        .prepared()
        .execute(conn)
        .map(|_| ())
}

/// What this process keeps: names as of one edition.
#[derive(Default)]
struct Kept {
    edition: String,
    /// Shared with the requests naming contracts from it; added to in place (copied only while
    /// one of them still holds it).
    names: Arc<Names>,
}

static KEPT: LazyLock<RwLock<Kept>> = LazyLock::new(RwLock::default);

/// Past this many names kept, the process starts again from none (a season's organisations and
/// facilities are about ten thousand).
const MOST_KEPT: usize = 200_000;

/// The names a contract shows: its facility's with the facility's city, its client's and its
/// provider's.
pub type Parties = ((Named, Place), Named, Named);

/// The names each of `rows` shows, from what this process keeps under `edition`, looked up once
/// each in one pass; `None` when it does not hold them all (or holds a facility's city it cannot
/// read), and [`shown`] then reads what is missing.
pub fn kept_parties<'r>(
    edition: &str,
    rows: impl ExactSizeIterator<Item = &'r ContractRow>,
) -> Option<Vec<Parties>> {
    let kept = KEPT.read().unwrap_or_else(PoisonError::into_inner);
    if kept.edition != edition {
        return None;
    }
    let names = &kept.names;
    let mut parties = Vec::with_capacity(rows.len());
    for row in rows {
        let (facility, Ok(city)) = names.facilities.get(row.facility_id.as_str())? else {
            return None;
        };
        let client = names.organizations.get(row.client_id.as_str())?;
        let provider = names.organizations.get(row.provider_id.as_str())?;
        parties.push(((facility.clone(), *city), client.clone(), provider.clone()));
    }
    Some(parties)
}

/// The names `rows` show, as of `edition` (read in the statement that read the rows): what this
/// process keeps under that edition, itself when it holds them all (nothing is copied), and
/// otherwise a set of their own with the rest read in one statement (and kept).
pub fn shown<'r>(
    conn: &mut DbConnection,
    edition: &str,
    rows: impl Iterator<Item = &'r ContractRow> + Clone,
) -> QueryResult<Arc<Names>> {
    let (org_ids, facility_ids) = shown_ids(rows);
    if org_ids.is_empty() {
        return Ok(Arc::default());
    }
    let mut names = Names::default();
    let (mut missing_orgs, mut missing_facilities) = (Vec::new(), Vec::new());
    {
        let kept = KEPT.read().unwrap_or_else(PoisonError::into_inner);
        let current = kept.edition == edition;
        let holds_all = current
            && org_ids
                .iter()
                .all(|id| kept.names.organizations.contains_key(*id))
            && facility_ids
                .iter()
                .all(|id| kept.names.facilities.contains_key(*id));
        if holds_all {
            return Ok(Arc::clone(&kept.names));
        }
        for id in org_ids {
            if !(current && names.share(&kept.names, id)) {
                missing_orgs.push(id);
            }
        }
        for id in facility_ids {
            if !(current && names.share(&kept.names, id)) {
                missing_facilities.push(id);
            }
        }
    }
    let found = read(conn, &missing_orgs, &missing_facilities)?;
    let mut kept = KEPT.write().unwrap_or_else(PoisonError::into_inner);
    for (id, name, name_ar, city, read_at) in found {
        if kept.edition != read_at || kept.names.len() >= MOST_KEPT {
            *kept = Kept {
                edition: read_at,
                names: Arc::default(),
            };
        }
        Arc::make_mut(&mut kept.names).keep((id.clone(), name, name_ar, city));
        names.share(&kept.names, &id);
    }
    Ok(Arc::new(names))
}
