//! The change feed and the readiness marks it compares against.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::prepared::KeepPrepared;
use super::schema::{feed_events, organization_countries, readiness_marks};
use super::{DbConnection, MultiBackend};
use crate::access::ContractScope;
use crate::domain::feed::Position;
use crate::domain::ids::{ContractId, OrganizationId, SeasonId};

/// An event as written, in the transaction of the change it tells of.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = feed_events)]
pub struct FeedEvent {
    pub id: String,
    pub event_type: String,
    pub occurred_at: NaiveDateTime,
    pub season_id: SeasonId,
    pub record_type: String,
    pub record_id: String,
    pub record_version: Option<i64>,
    pub contract_id: Option<ContractId>,
    pub status: Option<String>,
    pub client_id: Option<OrganizationId>,
    pub client_office_id: Option<OrganizationId>,
    pub client_country: Option<String>,
    pub provider_id: Option<OrganizationId>,
    pub recipient_id: Option<OrganizationId>,
}

/// An event where the database put it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = feed_events)]
pub struct FeedRow {
    pub seq: i64,
    pub tx: i64,
    #[diesel(embed)]
    pub event: FeedEvent,
}

impl FeedRow {
    pub fn position(&self) -> Position {
        Position {
            tx: self.tx,
            seq: self.seq,
        }
    }
}

/// Writes an event, in the transaction of the change it tells of.
pub fn append(conn: &mut DbConnection, row: &FeedEvent) -> QueryResult<()> {
    diesel::insert_into(feed_events::table)
        .values(row)
        .prepared()
        .execute(conn)
        .map(|_| ())
}

type Boxed = feed_events::BoxedQuery<'static, MultiBackend>;

/// Events before this bound are final: on PostgreSQL, those of transactions older than every
/// transaction still running (none of which can commit an event behind them). SQLite commits one
/// writer at a time, in sequence order.
fn settled(conn: &DbConnection, query: Boxed) -> Boxed {
    match conn {
        DbConnection::Postgresql(_) => query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "tx < feed_settled()",
        )),
        DbConnection::Sqlite(_) => query,
    }
}

fn after(query: Boxed, p: Position) -> Boxed {
    query.filter(
        feed_events::tx
            .gt(p.tx)
            .or(feed_events::tx.eq(p.tx).and(feed_events::seq.gt(p.seq))),
    )
}

/// The last settled position: what a reader who has seen everything final stands at. `None` on an
/// empty feed.
pub fn horizon(conn: &mut DbConnection) -> QueryResult<Option<Position>> {
    let query = settled(conn, feed_events::table.into_boxed());
    Ok(query
        .select((feed_events::tx, feed_events::seq))
        .order((feed_events::tx.desc(), feed_events::seq.desc()))
        .first::<(i64, i64)>(conn)
        .optional()?
        .map(|(tx, seq)| Position { tx, seq }))
}

/// Up to `limit` events after `from` and up to `until`, in order, that a caller of `scope` sees
/// (organisation `own`): an event private to one body shows to that body only; the others show as
/// their contract, client or readiness does.
pub fn read(
    conn: &mut DbConnection,
    scope: &ContractScope,
    own: &str,
    (from, until): (Position, Position),
    types: Option<&[String]>,
    limit: i64,
) -> QueryResult<Vec<FeedRow>> {
    let mut query = after(feed_events::table.into_boxed(), from).filter(
        feed_events::tx.lt(until.tx).or(feed_events::tx
            .eq(until.tx)
            .and(feed_events::seq.le(until.seq))),
    );
    query = query.filter(
        feed_events::recipient_id
            .is_null()
            .or(feed_events::recipient_id.eq(own.to_owned())),
    );
    query = match scope {
        ContractScope::All => query,
        ContractScope::Client(own) => query.filter(feed_events::client_id.eq(own.to_string())),
        ContractScope::Office(own) => {
            query.filter(feed_events::client_office_id.eq(own.to_string()))
        }
        ContractScope::Provider(own) => query.filter(feed_events::provider_id.eq(own.to_string())),
        ContractScope::TawafaCountries(own) => query.filter(
            feed_events::client_country.eq_any(
                organization_countries::table
                    .filter(organization_countries::organization_id.eq(own.to_string()))
                    .select(organization_countries::country.nullable()),
            ),
        ),
        ContractScope::Nothing => return Ok(Vec::new()),
    };
    if let Some(types) = types {
        query = query.filter(feed_events::event_type.eq_any(types.to_vec()));
    }
    query
        .order((feed_events::tx.asc(), feed_events::seq.asc()))
        .limit(limit)
        .select(FeedRow::as_select())
        .load(conn)
}

/// After a restore into another PostgreSQL cluster, whose transaction ids may be lower than the
/// ones the feed stored, shifts the feed's ids so that new events still come after every stored
/// one. Run at start-up; a no-op otherwise (and on SQLite).
pub fn realign(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        diesel::sql_query(
            "UPDATE feed_clock SET shift = shift + (SELECT max(tx) FROM feed_events) - feed_tx() + 1 \
             WHERE id = 1 AND (SELECT max(tx) FROM feed_events) >= feed_tx()",
        )
        .execute(c)?;
    }
    Ok(())
}

/// Takes the readiness mark of a client for the rest of the transaction (so that two changes of
/// one client's readiness are compared one after the other) and answers it: (version, fingerprint).
/// A client never marked starts at version 0 with no fingerprint. One statement: an upsert that
/// locks the row whether it inserts it or finds it.
pub fn lock_readiness_mark(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
) -> QueryResult<(i64, String)> {
    super::per_backend!(conn, c => diesel::insert_into(readiness_marks::table)
        .values((
            readiness_marks::season_id.eq(season_id),
            readiness_marks::organization_id.eq(organization_id),
            readiness_marks::version.eq(0),
            readiness_marks::fingerprint.eq(""),
        ))
        .on_conflict((readiness_marks::season_id, readiness_marks::organization_id))
        .do_update()
        .set(readiness_marks::version.eq(readiness_marks::version))
        .returning((readiness_marks::version, readiness_marks::fingerprint))
        .prepared()
        .get_result(c))
}

/// Records a client's new readiness fingerprint; answers the new version. One statement.
pub fn set_readiness_mark(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    fingerprint: &str,
) -> QueryResult<i64> {
    super::per_backend!(conn, c => diesel::update(
        readiness_marks::table
            .filter(readiness_marks::season_id.eq(season_id))
            .filter(readiness_marks::organization_id.eq(organization_id)),
    )
    .set((
        readiness_marks::version.eq(readiness_marks::version + 1),
        readiness_marks::fingerprint.eq(fingerprint),
    ))
    .returning(readiness_marks::version)
    .prepared()
    .get_result(c))
}
