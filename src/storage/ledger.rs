//! The ledger (docs/domain.md section 11): accounts, balanced transactions of entries that are only
//! ever added, and the seasons' payment schedules. Every balance is a sum of entries; nothing here
//! edits an amount.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::DbConnection;
use super::prepared::KeepPrepared;
use super::schema::{
    contracts, inspections, ledger_accounts, ledger_entries, ledger_transactions, organizations,
    payment_schedules, payment_terms, seasons,
};
use crate::domain::contract::ContractStatus;
use crate::domain::ids::{
    AccountId, ApiKeyId, ContractId, EntryId, OrganizationId, SeasonId, TransactionId, UserId,
};
use crate::domain::ledger::{AccountKind, Due, Instalment, Schedule, TransactionKind};
use crate::domain::organization::OrgKind;
use crate::domain::season::ContractType;

/// The sum of the selected entries' amounts, 0 when there are none (an exact integer on both
/// backends: PostgreSQL sums `BIGINT` as `NUMERIC`).
const SUM: &str = "CAST(COALESCE(SUM(ledger_entries.amount), 0) AS BIGINT)";

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = payment_schedules)]
pub struct ScheduleRow {
    pub season_id: SeasonId,
    pub contract_type: ContractType,
    pub position: i64,
    pub share_percent: i64,
    pub due: Due,
}

/// A transaction as stored; its entries are in `ledger_entries`.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = ledger_transactions)]
pub struct TransactionRow {
    pub id: TransactionId,
    pub season_id: SeasonId,
    pub kind: TransactionKind,
    /// Whose money it is: the client funded or paying, for a commitment or an instalment.
    pub organization_id: OrganizationId,
    pub contract_id: Option<ContractId>,
    /// The schedule position an instalment pays.
    pub instalment: Option<i64>,
    pub bank_reference: Option<String>,
    pub memo: String,
    pub actor_user_id: Option<UserId>,
    pub actor_api_key_id: Option<ApiKeyId>,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = ledger_entries)]
pub struct EntryRow {
    pub id: EntryId,
    pub transaction_id: TransactionId,
    pub account_id: AccountId,
    pub contract_id: Option<ContractId>,
    pub amount: i64,
    pub created_at: NaiveDateTime,
}

/// An entry of an organisation's statement: the movement, the account it moved, the transaction.
#[derive(Queryable, Debug, Clone)]
pub struct StatementLine {
    pub entry: EntryRow,
    pub account: AccountKind,
    pub transaction: TransactionRow,
}

fn stored_schedule(rows: Vec<ScheduleRow>, guarantee_percent: i64) -> QueryResult<Schedule> {
    Schedule::new(
        rows.into_iter()
            .map(|r| Instalment {
                share_percent: r.share_percent,
                due: r.due,
            })
            .collect(),
        guarantee_percent,
    )
    .map_err(|_| {
        diesel::result::Error::DeserializationError(
            "a stored payment schedule does not add up".into(),
        )
    })
}

/// The schedule of one contract type in a season, if the ministry set one (one statement).
pub fn schedule(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    contract_type: ContractType,
) -> QueryResult<Option<Schedule>> {
    let terms = payment_terms::table.on(payment_terms::season_id
        .eq(payment_schedules::season_id)
        .and(payment_terms::contract_type.eq(payment_schedules::contract_type)));
    let rows: Vec<(ScheduleRow, Option<i64>)> = payment_schedules::table
        .left_join(terms)
        .filter(payment_schedules::season_id.eq(season_id))
        .filter(payment_schedules::contract_type.eq(contract_type))
        .order(payment_schedules::position.asc())
        .select((
            ScheduleRow::as_select(),
            payment_terms::guarantee_percent.nullable(),
        ))
        .load(conn)?;
    let Some(guarantee_percent) = rows.first().map(|(_, g)| g.unwrap_or(0)) else {
        return Ok(None);
    };
    stored_schedule(
        rows.into_iter().map(|(r, _)| r).collect(),
        guarantee_percent,
    )
    .map(Some)
}

/// Every schedule of a season, by contract type.
pub fn schedules(
    conn: &mut DbConnection,
    season_id: &SeasonId,
) -> QueryResult<Vec<(ContractType, Schedule)>> {
    let mut found = Vec::new();
    for contract_type in ContractType::ALL {
        if let Some(s) = schedule(conn, season_id, *contract_type)? {
            found.push((*contract_type, s));
        }
    }
    Ok(found)
}

/// Replaces the schedule of a contract type in a season.
pub fn set_schedule(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    contract_type: ContractType,
    schedule: &Schedule,
) -> QueryResult<()> {
    diesel::delete(
        payment_schedules::table
            .filter(payment_schedules::season_id.eq(season_id))
            .filter(payment_schedules::contract_type.eq(contract_type)),
    )
    .execute(conn)?;
    let rows: Vec<ScheduleRow> = schedule
        .instalments()
        .iter()
        .enumerate()
        .map(|(i, instalment)| ScheduleRow {
            season_id: season_id.to_owned(),
            contract_type,
            position: i as i64,
            share_percent: instalment.share_percent,
            due: instalment.due,
        })
        .collect();
    for row in &rows {
        diesel::insert_into(payment_schedules::table)
            .values(row)
            .execute(conn)?;
    }
    diesel::delete(
        payment_terms::table
            .filter(payment_terms::season_id.eq(season_id))
            .filter(payment_terms::contract_type.eq(contract_type)),
    )
    .execute(conn)?;
    diesel::insert_into(payment_terms::table)
        .values((
            payment_terms::season_id.eq(season_id),
            payment_terms::contract_type.eq(contract_type),
            payment_terms::guarantee_percent.eq(schedule.guarantee_percent()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The id of an organisation's account of a kind in a season.
macro_rules! account_of {
    ($season_id:expr, $organization_id:expr, $kind:expr) => {
        ledger_accounts::table
            .filter(ledger_accounts::season_id.eq($season_id))
            .filter(ledger_accounts::organization_id.eq($organization_id))
            .filter(ledger_accounts::kind.eq($kind))
            .select(ledger_accounts::id)
    };
}

/// The id of an organisation's account of a kind in a season, opened on first use.
pub fn account(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    kind: AccountKind,
) -> QueryResult<AccountId> {
    let existing = || account_of!(season_id, organization_id, kind);
    if let Some(id) = existing().first::<AccountId>(conn).optional()? {
        return Ok(id);
    }
    let values = (
        ledger_accounts::id.eq(AccountId::generate()),
        ledger_accounts::season_id.eq(season_id),
        ledger_accounts::organization_id.eq(organization_id),
        ledger_accounts::kind.eq(kind),
        ledger_accounts::created_at.eq(super::now()),
    );
    super::insert_or_ignore!(conn, ledger_accounts::table, values)?;
    existing().first::<AccountId>(conn)
}

/// [`account`], locked until the transaction ends (see [`lock`]): on PostgreSQL an account that
/// exists is found and locked in one statement.
pub fn locked_account(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    kind: AccountKind,
) -> QueryResult<AccountId> {
    if let DbConnection::Postgresql(c) = conn {
        let found = account_of!(season_id, organization_id, kind)
            .for_update()
            .first::<AccountId>(c)
            .optional()?;
        if let Some(id) = found {
            return Ok(id);
        }
    }
    let id = account(conn, season_id, organization_id, kind)?;
    lock(conn, &id)?;
    Ok(id)
}

/// Takes an organisation's turn at its money in a season until the transaction ends: every
/// change to a client's wallet, commitments and payments locks its wallet first, so that two of
/// them never decide on the same balance (on PostgreSQL; SQLite writes one transaction at a time).
fn lock(conn: &mut DbConnection, account_id: &AccountId) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        ledger_accounts::table
            .filter(ledger_accounts::id.eq(account_id))
            .select(ledger_accounts::id)
            .for_update()
            .load::<String>(c)?;
    }
    Ok(())
}

/// Has PostgreSQL count the ledger's tables again, as after any bulk load (a bank statement
/// imported). A connection keeps the plan it made for a statement it runs often; one made while
/// the ledger was nearly empty stays until the tables are analyzed (by autovacuum, within a minute
/// or so), and reads every entry for each account it meets: a wallet's balance then takes a
/// quarter of a second instead of a fraction of a millisecond. Inside a transaction, the rows it
/// wrote are counted too, and the plans made from the old counts are dropped on this connection
/// at once and on every other when it commits. On PostgreSQL only, where the plans were measured.
pub fn analyze(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        use diesel::connection::SimpleConnection;
        c.batch_execute("ANALYZE ledger_accounts, ledger_transactions, ledger_entries")?;
    }
    Ok(())
}

/// An account's balance: the sum of its entries.
pub fn balance(conn: &mut DbConnection, account_id: &AccountId) -> QueryResult<i64> {
    ledger_entries::table
        .filter(ledger_entries::account_id.eq(account_id))
        .select(sql::<BigInt>(SUM))
        .prepared()
        .get_result(conn)
}

/// An organisation's balances in a season, by account kind (kinds it has no entry in are left out).
pub fn balances(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
) -> QueryResult<Vec<(AccountKind, i64)>> {
    ledger_entries::table
        .inner_join(ledger_accounts::table)
        .filter(ledger_accounts::season_id.eq(season_id))
        .filter(ledger_accounts::organization_id.eq(organization_id))
        .group_by(ledger_accounts::kind)
        .select((ledger_accounts::kind, sql::<BigInt>(SUM)))
        .load(conn)
}

/// A season's balances over every organisation, by account kind.
pub fn season_balances(
    conn: &mut DbConnection,
    season_id: &SeasonId,
) -> QueryResult<Vec<(AccountKind, i64)>> {
    ledger_entries::table
        .inner_join(ledger_accounts::table)
        .filter(ledger_accounts::season_id.eq(season_id))
        .group_by(ledger_accounts::kind)
        .select((ledger_accounts::kind, sql::<BigInt>(SUM)))
        .load(conn)
}

/// What a contract's entries add up to on accounts of one kind: committed to it, or received
/// for it.
pub fn contract_sum(
    conn: &mut DbConnection,
    contract_id: &ContractId,
    kind: AccountKind,
) -> QueryResult<i64> {
    ledger_entries::table
        .inner_join(ledger_accounts::table)
        .filter(ledger_entries::contract_id.eq(contract_id))
        .filter(ledger_accounts::kind.eq(kind))
        .select(sql::<BigInt>(SUM))
        .first(conn)
}

/// A contract's money as its ledger holds it, read in two statements: the sums of its entries and
/// the marks of its transactions.
#[derive(Clone, Debug, Default)]
pub struct ContractLedger {
    /// Its guarantee, lodged and not given back.
    pub guarantee: i64,
    /// Committed to it, not yet paid.
    pub committed: i64,
    /// Paid to its provider by its instalments.
    pub paid: i64,
    /// Forfeited to its provider from its guarantee.
    pub forfeited: i64,
    /// Its transactions, oldest first: kind, the instalment paid, when.
    pub marks: Vec<(TransactionKind, Option<i64>, NaiveDateTime)>,
}

impl ContractLedger {
    /// When its first transaction of these kinds was written.
    pub fn first(&self, kinds: &[TransactionKind]) -> Option<NaiveDateTime> {
        self.marks
            .iter()
            .find(|(kind, _, _)| kinds.contains(kind))
            .map(|(_, _, at)| *at)
    }

    /// The schedule positions its instalments paid (-1 for one stored without its position).
    pub fn paid_positions(&self) -> Vec<i64> {
        self.marks
            .iter()
            .filter(|(kind, _, _)| *kind == TransactionKind::Instalment)
            .map(|(_, position, _)| position.unwrap_or(-1))
            .collect()
    }
}

pub fn contract_ledger(
    conn: &mut DbConnection,
    contract_id: &ContractId,
) -> QueryResult<ContractLedger> {
    let sums: Vec<(AccountKind, TransactionKind, i64)> = ledger_entries::table
        .inner_join(ledger_accounts::table)
        .inner_join(ledger_transactions::table)
        .filter(ledger_entries::contract_id.eq(contract_id))
        .group_by((ledger_accounts::kind, ledger_transactions::kind))
        .select((
            ledger_accounts::kind,
            ledger_transactions::kind,
            sql::<BigInt>(SUM),
        ))
        .prepared()
        .load(conn)?;
    let marks = ledger_transactions::table
        .filter(ledger_transactions::contract_id.eq(contract_id))
        .order((
            ledger_transactions::created_at.asc(),
            ledger_transactions::id.asc(),
        ))
        .select((
            ledger_transactions::kind,
            ledger_transactions::instalment,
            ledger_transactions::created_at,
        ))
        .load(conn)?;
    let mut ledger = ContractLedger {
        marks,
        ..ContractLedger::default()
    };
    for (account, transaction, amount) in sums {
        match (account, transaction) {
            (AccountKind::Guarantees, _) => ledger.guarantee += amount,
            (AccountKind::Committed, _) => ledger.committed += amount,
            (AccountKind::Received, TransactionKind::Instalment) => ledger.paid += amount,
            (AccountKind::Received, _) => ledger.forfeited += amount,
            _ => {}
        }
    }
    Ok(ledger)
}

/// What is committed, not yet paid, to a provider's contracts in a season.
pub fn owed_to(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    provider_id: &OrganizationId,
) -> QueryResult<i64> {
    let ids = contracts::table
        .filter(contracts::season_id.eq(season_id))
        .filter(contracts::provider_id.eq(provider_id))
        .select(contracts::id);
    ledger_entries::table
        .inner_join(ledger_accounts::table)
        .filter(ledger_accounts::kind.eq(AccountKind::Committed))
        .filter(ledger_entries::contract_id.eq_any(ids.nullable()))
        .select(sql::<BigInt>(SUM))
        .first(conn)
}

/// Writes a transaction and its entries. The entries must add up to zero: anything else is a bug,
/// refused before a row is written.
pub fn post(
    conn: &mut DbConnection,
    transaction: &TransactionRow,
    entries: &[(AccountId, i64)],
) -> QueryResult<()> {
    if entries.iter().map(|(_, amount)| amount).sum::<i64>() != 0 {
        return Err(diesel::result::Error::QueryBuilderError(
            "an unbalanced ledger transaction".into(),
        ));
    }
    diesel::insert_into(ledger_transactions::table)
        .values(transaction)
        .prepared()
        .execute(conn)?;
    let rows: Vec<EntryRow> = entries
        .iter()
        .filter(|(_, amount)| *amount != 0)
        .map(|(account_id, amount)| EntryRow {
            id: EntryId::generate(),
            transaction_id: transaction.id.clone(),
            account_id: account_id.clone(),
            contract_id: transaction.contract_id.clone(),
            amount: *amount,
            created_at: transaction.created_at,
        })
        .collect();
    if !rows.is_empty() {
        match conn {
            DbConnection::Postgresql(c) => diesel::insert_into(ledger_entries::table)
                .values(&rows)
                .prepared()
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_into(ledger_entries::table)
                .values(&rows)
                .execute(c)?,
        };
    }
    Ok(())
}

/// The transfer recorded with a bank reference, and what it moved into the wallet.
pub fn transfer_by_reference(
    conn: &mut DbConnection,
    reference: &str,
) -> QueryResult<Option<(TransactionRow, i64)>> {
    let Some(row) = ledger_transactions::table
        .filter(ledger_transactions::bank_reference.eq(reference))
        .select(TransactionRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let amount = ledger_entries::table
        .inner_join(ledger_accounts::table)
        .filter(ledger_entries::transaction_id.eq(&row.id))
        .filter(ledger_accounts::kind.eq(AccountKind::Wallet))
        .select(sql::<BigInt>(SUM))
        .first(conn)?;
    Ok(Some((row, amount)))
}

/// The instalments of a contract paid so far: their positions, what each moved, and when (two
/// statements, however many were paid).
pub fn paid_instalments(
    conn: &mut DbConnection,
    contract_id: &ContractId,
) -> QueryResult<Vec<(i64, i64, NaiveDateTime)>> {
    let paid: Vec<(Option<i64>, NaiveDateTime)> = ledger_transactions::table
        .filter(ledger_transactions::contract_id.eq(contract_id))
        .filter(ledger_transactions::kind.eq(TransactionKind::Instalment))
        .order(ledger_transactions::instalment.asc())
        .select((
            ledger_transactions::instalment,
            ledger_transactions::created_at,
        ))
        .load(conn)?;
    // An instalment that moved nothing has no entry: it is paid, with 0.
    let amounts: Vec<(Option<i64>, i64)> = ledger_entries::table
        .inner_join(ledger_accounts::table)
        .inner_join(ledger_transactions::table)
        .filter(ledger_transactions::contract_id.eq(contract_id))
        .filter(ledger_transactions::kind.eq(TransactionKind::Instalment))
        .filter(ledger_accounts::kind.eq(AccountKind::Received))
        .group_by(ledger_transactions::instalment)
        .select((ledger_transactions::instalment, sql::<BigInt>(SUM)))
        .load(conn)?;
    Ok(paid
        .into_iter()
        .map(|(position, at)| {
            let amount = amounts
                .iter()
                .find(|(p, _)| *p == position)
                .map_or(0, |(_, a)| *a);
            (position.unwrap_or(-1), amount, at)
        })
        .collect())
}

/// When the first of a contract's transactions of these kinds was written, if one was.
pub fn first_of(
    conn: &mut DbConnection,
    contract_id: &ContractId,
    kinds: &[TransactionKind],
) -> QueryResult<Option<NaiveDateTime>> {
    ledger_transactions::table
        .filter(ledger_transactions::contract_id.eq(contract_id))
        .filter(ledger_transactions::kind.eq_any(kinds.to_vec()))
        .order(ledger_transactions::created_at.asc())
        .select(ledger_transactions::created_at)
        .first(conn)
        .optional()
}

/// Contracts still holding a guarantee in seasons that ended before `today`.
pub fn guarantees_after_season(
    conn: &mut DbConnection,
    today: NaiveDate,
) -> QueryResult<Vec<ContractId>> {
    let ended = contracts::table
        .inner_join(seasons::table)
        .filter(seasons::ends_on.lt(today))
        .select(contracts::id.nullable());
    let held: Vec<(Option<ContractId>, i64)> = ledger_entries::table
        .inner_join(ledger_accounts::table)
        .filter(ledger_accounts::kind.eq(AccountKind::Guarantees))
        .filter(ledger_entries::contract_id.eq_any(ended))
        .group_by(ledger_entries::contract_id)
        .select((ledger_entries::contract_id, sql::<BigInt>(SUM)))
        .load(conn)?;
    Ok(held
        .into_iter()
        .filter(|(_, amount)| *amount > 0)
        .filter_map(|(id, _)| id)
        .collect())
}

/// Whether a contract's latest inspection failed.
pub fn latest_inspection_failed(
    conn: &mut DbConnection,
    contract_id: &ContractId,
) -> QueryResult<bool> {
    let latest: Option<String> = inspections::table
        .filter(inspections::contract_id.eq(contract_id))
        .order((
            inspections::inspected_on.desc(),
            inspections::created_at.desc(),
        ))
        .select(inspections::result)
        .first(conn)
        .optional()?;
    Ok(latest.as_deref() == Some("fail"))
}

/// What a client's wallet lacks for its contracts awaiting approval in a season (docs/domain.md
/// section 11, R20).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub client_id: OrganizationId,
    /// The value of its contracts awaiting the provider or the ministry, of types with a payment
    /// schedule in the season (an approval commits it from the wallet).
    pub awaiting: i64,
    /// What its wallet holds.
    pub free: i64,
    /// The first day of those contracts.
    pub first_day: NaiveDate,
}

impl Shortfall {
    /// Halalas the wallet lacks, 0 if it covers them.
    pub fn lacking(&self) -> i64 {
        (self.awaiting - self.free.max(0)).max(0)
    }
}

/// The clients of a season with contracts of a type awaiting approval (awaiting the provider or
/// the ministry), in order.
pub fn clients_awaiting(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    contract_type: ContractType,
) -> QueryResult<Vec<OrganizationId>> {
    let awaiting = ContractStatus::AWAITING_APPROVAL.map(ContractStatus::as_str);
    contracts::table
        .filter(contracts::season_id.eq(season_id))
        .filter(contracts::contract_type.eq(contract_type.as_str()))
        .filter(contracts::status.eq_any(awaiting))
        .select(contracts::client_id)
        .distinct()
        .order(contracts::client_id)
        .load(conn)
}

/// The clients of a season (or of `clients` among them) whose wallets do not cover their contracts
/// awaiting approval (only those starting by `starting_by`, if given), in two statements whatever
/// their number.
pub fn shortfalls(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    clients: Option<&[OrganizationId]>,
    starting_by: Option<NaiveDate>,
) -> QueryResult<Vec<Shortfall>> {
    // Clients are narrowed by `one_of!`, and the two statuses by `OR` rather than `= ANY($n)`, for
    // the same reason: so that PostgreSQL keeps one plan for one client, which reads the index by
    // client and status (docs/performance.md, "Statements planned at every run").
    let [first, second] = ContractStatus::AWAITING_APPROVAL.map(ContractStatus::as_str);
    let awaited: Vec<(OrganizationId, i64, Option<NaiveDate>)> =
        super::load_prepared_on_postgres!(conn, {
            let mut query = contracts::table
                .inner_join(
                    payment_terms::table.on(payment_terms::season_id
                        .eq(contracts::season_id)
                        .and(payment_terms::contract_type.eq(contracts::contract_type))),
                )
                .filter(contracts::season_id.eq(season_id.clone()))
                .filter(contracts::status.eq(first).or(contracts::status.eq(second)))
                .group_by(contracts::client_id)
                .select((
                    contracts::client_id,
                    sql::<BigInt>("CAST(COALESCE(SUM(contracts.total), 0) AS BIGINT)"),
                    diesel::dsl::min(contracts::starts_on),
                ))
                .into_boxed();
            if let Some(clients) = clients {
                query = super::one_of!(query, contracts::client_id, clients);
            }
            if let Some(day) = starting_by {
                query = query.filter(contracts::starts_on.le(day));
            }
            query
        })?;
    if awaited.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&OrganizationId> = awaited.iter().map(|(id, _, _)| id).collect();
    let mut wallets = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<(OrganizationId, i64)> = super::load_prepared_on_postgres!(conn, {
            let query = ledger_entries::table
                .inner_join(ledger_accounts::table)
                .filter(ledger_accounts::season_id.eq(season_id))
                .filter(ledger_accounts::kind.eq(AccountKind::Wallet))
                .group_by(ledger_accounts::organization_id)
                .select((ledger_accounts::organization_id, sql::<BigInt>(SUM)))
                .into_boxed();
            super::one_of!(query, ledger_accounts::organization_id, chunk)
        })?;
        wallets.extend(found);
    }
    Ok(awaited
        .into_iter()
        .filter_map(|(client_id, awaiting, first_day)| {
            let free = wallets.get(&client_id).copied().unwrap_or(0);
            let s = Shortfall {
                client_id,
                awaiting,
                free,
                first_day: first_day?,
            };
            (s.lacking() > 0).then_some(s)
        })
        .collect())
}

/// Approved contracts of seasons with a schedule for their type that have an instalment left to
/// pay, and whose service has started or whose season is over by `today` (a cheap first filter:
/// the payer decides each instalment under the client's lock).
pub fn contracts_with_instalments_due(
    conn: &mut DbConnection,
    today: NaiveDate,
) -> QueryResult<Vec<ContractId>> {
    let positions = payment_schedules::table
        .filter(payment_schedules::season_id.eq(contracts::season_id))
        .filter(payment_schedules::contract_type.eq(contracts::contract_type))
        .select(diesel::dsl::count_star())
        .single_value();
    let paid = ledger_transactions::table
        .filter(ledger_transactions::contract_id.eq(contracts::id.nullable()))
        .filter(ledger_transactions::kind.eq(TransactionKind::Instalment))
        .select(diesel::dsl::count_star())
        .single_value();
    contracts::table
        .inner_join(seasons::table)
        .filter(contracts::status.eq(ContractStatus::Approved))
        .filter(positions.gt(paid))
        .filter(
            contracts::starts_on
                .le(today)
                .or(seasons::ends_on.lt(today)),
        )
        .select(contracts::id)
        .order(contracts::id.asc())
        .load(conn)
}

/// One page of an organisation's statement in a season, oldest first, after the entry `after`.
pub fn statement(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    after: Option<&EntryId>,
    limit: i64,
) -> QueryResult<Vec<StatementLine>> {
    let mut query = ledger_entries::table
        .inner_join(ledger_accounts::table)
        .inner_join(ledger_transactions::table)
        .filter(ledger_accounts::season_id.eq(season_id))
        .filter(ledger_accounts::organization_id.eq(organization_id))
        .select((
            EntryRow::as_select(),
            ledger_accounts::kind,
            TransactionRow::as_select(),
        ))
        .order(ledger_entries::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(ledger_entries::id.gt(after.to_owned()));
    }
    query.load(conn)
}

/// Whether an entry belongs to an organisation's accounts in a season (a statement's cursor).
pub fn entry_of(
    conn: &mut DbConnection,
    entry_id: &EntryId,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ledger_entries::table
            .inner_join(ledger_accounts::table)
            .filter(ledger_entries::id.eq(entry_id))
            .filter(ledger_accounts::season_id.eq(season_id))
            .filter(ledger_accounts::organization_id.eq(organization_id)),
    ))
    .get_result(conn)
}

/// The kind of an organisation, for whose accounts it may hold.
pub fn organization_kind(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
) -> QueryResult<Option<(OrgKind, Option<String>)>> {
    organizations::table
        .filter(organizations::id.eq(organization_id))
        .select((organizations::kind, organizations::parent_id))
        .first(conn)
        .optional()
}

/// What `etrack check` finds wrong in the ledger.
pub mod checks {
    use super::*;

    /// Transactions whose entries do not add up to zero.
    pub fn unbalanced(conn: &mut DbConnection) -> QueryResult<Vec<(TransactionId, i64)>> {
        ledger_entries::table
            .group_by(ledger_entries::transaction_id)
            .select((ledger_entries::transaction_id, sql::<BigInt>(SUM)))
            .having(sql::<diesel::sql_types::Bool>(&format!("{SUM} <> 0")))
            .load(conn)
    }

    /// Wallets below zero: (season, organisation, balance).
    pub fn negative_wallets(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, i64)>> {
        ledger_entries::table
            .inner_join(ledger_accounts::table)
            .filter(ledger_accounts::kind.eq(AccountKind::Wallet))
            .group_by((ledger_accounts::season_id, ledger_accounts::organization_id))
            .select((
                ledger_accounts::season_id,
                ledger_accounts::organization_id,
                sql::<BigInt>(SUM),
            ))
            .having(sql::<diesel::sql_types::Bool>(&format!("{SUM} < 0")))
            .load(conn)
    }

    /// A contract's money as the check reads it.
    pub struct ContractMoney {
        pub contract_id: ContractId,
        pub season_id: SeasonId,
        pub contract_type: ContractType,
        pub status: ContractStatus,
        pub value: i64,
        pub committed: i64,
        pub received: i64,
        pub guarantee: i64,
        /// When its value was first committed.
        pub approved_at: Option<NaiveDateTime>,
        /// The schedule positions its instalments paid.
        pub paid_positions: Vec<i64>,
    }

    /// Every contract with ledger entries: its status, value, what is committed to it and what
    /// its provider received for it.
    pub fn contract_money(conn: &mut DbConnection) -> QueryResult<Vec<ContractMoney>> {
        let with_entries =
            ledger_entries::table.filter(ledger_entries::contract_id.eq(contracts::id.nullable()));
        let rows: Vec<(ContractId, SeasonId, ContractType, ContractStatus, i64)> = contracts::table
            .filter(diesel::dsl::exists(with_entries))
            .select((
                contracts::id,
                contracts::season_id,
                contracts::contract_type,
                contracts::status,
                contracts::total,
            ))
            .load(conn)?;
        let mut answer = Vec::with_capacity(rows.len());
        for (id, season_id, contract_type, status, total) in rows {
            let ledger = contract_ledger(conn, &id)?;
            answer.push(ContractMoney {
                contract_id: id,
                season_id,
                contract_type,
                status,
                value: total,
                committed: ledger.committed,
                received: ledger.paid,
                guarantee: ledger.guarantee,
                approved_at: ledger.first(&[TransactionKind::Commitment]),
                paid_positions: ledger.paid_positions(),
            });
        }
        Ok(answer)
    }
}

/// Whether any contract of a type has had money committed in a season (its schedule is then fixed).
pub fn schedule_in_use(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    contract_type: ContractType,
) -> QueryResult<bool> {
    let of_type = contracts::table
        .filter(contracts::season_id.eq(season_id))
        .filter(contracts::contract_type.eq(contract_type))
        .select(contracts::id.nullable());
    diesel::select(diesel::dsl::exists(
        ledger_transactions::table
            .filter(
                ledger_transactions::kind
                    .eq_any([TransactionKind::Commitment, TransactionKind::Guarantee]),
            )
            .filter(ledger_transactions::contract_id.eq_any(of_type)),
    ))
    .get_result(conn)
}
