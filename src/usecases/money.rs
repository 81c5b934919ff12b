//! Money (docs/domain.md section 11): clients' wallets funded by bank transfer, approved contracts'
//! values committed from them, instalments paid to providers by the season's payment schedule,
//! and every balance derived from the ledger's entries.

use chrono::NaiveDate;

use crate::access::{self, Caller};
use crate::domain::Invalid;
use crate::domain::calendar::today_in_makkah;
use crate::domain::contract::ContractStatus;
use crate::domain::ids::{AccountId, ContractId, EntryId, OrganizationId, SeasonId, TransactionId};
use crate::domain::ledger::{AccountKind, Due, Instalment, Schedule, TransactionKind, due_on};
use crate::domain::money::Money;
use crate::domain::season::ContractType;
use crate::error::{Details, Error, FieldError};
use crate::storage::ledger::{self as store, StatementLine, TransactionRow};
use crate::storage::models::ContractRow;
use crate::storage::{DbConnection, contracts, now, write_transaction};

/// The longest bank reference accepted.
pub const MAX_REFERENCE_CHARS: usize = 64;
/// The longest note on a transfer.
pub const MAX_MEMO_CHARS: usize = 500;

/// A bank transfer into a client's wallet, as the ministry records it.
#[derive(Clone, Debug)]
pub struct Transfer {
    pub organization_id: OrganizationId,
    pub amount: Money,
    pub bank_reference: String,
    pub memo: String,
}

/// A recorded transfer: the transaction, what it put in the wallet, and whether this request
/// recorded it (or found it recorded by an earlier one with the same bank reference).
#[derive(Clone, Debug)]
pub struct Recorded {
    pub transaction: TransactionRow,
    pub amount: i64,
    pub created: bool,
}

/// An organisation's money in a season.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Balances {
    pub organization_id: String,
    pub season_id: String,
    /// Free to commit (clients).
    pub wallet: i64,
    /// Set aside for approved contracts, not yet paid (clients).
    pub committed: i64,
    /// Lodged as guarantees (clients).
    pub guarantees: i64,
    /// Paid to it (providers).
    pub received: i64,
    /// Committed by clients to its contracts, not yet paid (providers).
    pub owed: i64,
}

/// The ministry's view of a season's money.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeasonMoney {
    /// Every bank transfer in.
    pub funded: i64,
    pub wallets: i64,
    pub committed: i64,
    pub guarantees: i64,
    /// Paid to providers.
    pub paid: i64,
}

/// One instalment of a contract: its share, when it falls due, what it pays and whether it has.
#[derive(Clone, Debug)]
pub struct ContractInstalment {
    pub position: i64,
    pub instalment: Instalment,
    /// `None` until the contract is approved.
    pub due_on: Option<NaiveDate>,
    /// What it pays (or paid).
    pub amount: i64,
    pub paid_at: Option<chrono::NaiveDateTime>,
}

/// A contract's money: its value, what is committed and paid, and its instalments.
#[derive(Clone, Debug)]
pub struct ContractMoney {
    pub contract_id: ContractId,
    pub value: i64,
    pub committed: i64,
    pub paid: i64,
    /// Its guarantee, lodged from the client's wallet and not given back yet.
    pub guarantee_held: i64,
    /// What of its guarantee the ministry forfeited to the provider.
    pub guarantee_forfeited: i64,
    /// Empty when the season has no schedule for the contract's type (its money does not move
    /// through the portal).
    pub instalments: Vec<ContractInstalment>,
}

fn season(
    conn: &mut DbConnection,
    id: &SeasonId,
) -> Result<crate::storage::models::SeasonRow, Error> {
    super::seasons::find(conn, id)
}

/// Sets how contracts of a type are paid in a season and the guarantee their submission lodges
/// (ministry officers and admins). Fixed once money has been committed or lodged under it. `instalments` is the request's input, or why it could not
/// be read.
pub fn set_schedule(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    contract_type: ContractType,
    terms: Result<(Vec<Instalment>, i64), Error>,
) -> Result<Schedule, Error> {
    access::manage_money(caller)?;
    season(conn, season_id)?;
    let (instalments, guarantee_percent) = terms?;
    if !(0..=100).contains(&guarantee_percent) {
        return Err(Error::invalid_field(
            "guarantee_percent",
            Invalid::new("out_of_range"),
        ));
    }
    let schedule = Schedule::new(instalments, guarantee_percent)
        .map_err(|e| Error::invalid_field("instalments", e))?;
    if store::schedule_in_use(conn, season_id, contract_type)? {
        return Err(Error::conflict("schedule_in_use"));
    }
    store::set_schedule(conn, season_id, contract_type, &schedule)?;
    // The contracts of the type awaiting approval now weigh on their clients' wallets (R20).
    for client_id in store::clients_awaiting(conn, season_id, contract_type)? {
        super::feed::funding_changed(conn, season_id, &client_id)?;
    }
    Ok(schedule)
}

/// A season's payment schedules, to whoever deals in money.
pub fn schedules(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
) -> Result<Vec<(ContractType, Schedule)>, Error> {
    if !access::sees_money(caller) {
        return Err(Error::not_found());
    }
    season(conn, season_id)?;
    Ok(store::schedules(conn, season_id)?)
}

/// A transfer that passed its checks: its reference and memo cleaned, its organisation a client.
struct Checked {
    organization_id: OrganizationId,
    amount: i64,
    reference: String,
    memo: String,
}

/// What the ledger already knows of a transfer's bank reference.
enum Known {
    New,
    /// Recorded before, for the same organisation, season and amount.
    Same(Box<Recorded>),
    /// Recorded before, for something else.
    Used,
}

/// Checks a transfer: a reference of letters, digits, spaces and `- _ / .`, a memo that fits, an
/// amount above zero, an office or agency. Answers the refused fields, or the transfer cleaned.
fn check_transfer(
    conn: &mut DbConnection,
    transfer: Transfer,
) -> Result<Result<Checked, Vec<FieldError>>, Error> {
    let mut refused = Vec::new();
    let reference = transfer.bank_reference.trim().to_owned();
    let fits = !reference.is_empty()
        && reference.chars().count() <= MAX_REFERENCE_CHARS
        && reference
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '/' | '.'));
    if !fits {
        refused.push(FieldError::new(
            "bank_reference",
            Invalid::with_limit("invalid_reference", MAX_REFERENCE_CHARS),
        ));
    }
    let memo = transfer.memo.trim().to_owned();
    if memo.chars().count() > MAX_MEMO_CHARS {
        refused.push(FieldError::new(
            "memo",
            Invalid::with_limit("too_long", MAX_MEMO_CHARS),
        ));
    }
    if transfer.amount.halalas() <= 0 {
        refused.push(FieldError::new("amount", Invalid::new("out_of_range")));
    }
    let org = transfer.organization_id;
    match store::organization_kind(conn, &org)? {
        None => refused.push(FieldError::new(
            "organization_id",
            Invalid::new("unknown_reference"),
        )),
        Some((kind, _)) if !kind.is_client() => refused.push(FieldError::new(
            "organization_id",
            Invalid::new("not_a_client"),
        )),
        Some(_) => {}
    }
    Ok(if refused.is_empty() {
        Ok(Checked {
            organization_id: org,
            amount: transfer.amount.halalas(),
            reference,
            memo,
        })
    } else {
        Err(refused)
    })
}

fn known(conn: &mut DbConnection, season_id: &SeasonId, t: &Checked) -> Result<Known, Error> {
    Ok(match store::transfer_by_reference(conn, &t.reference)? {
        None => Known::New,
        Some((row, amount))
            if row.season_id == season_id.clone()
                && row.organization_id == t.organization_id
                && amount == t.amount =>
        {
            Known::Same(Box::new(Recorded {
                transaction: row,
                amount,
                created: false,
            }))
        }
        Some(_) => Known::Used,
    })
}

/// Writes a checked transfer whose reference is new: bank → the client's wallet. The caller then
/// has the client's readiness follow its wallet (`feed::funding_changed`).
fn record_transfer(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    t: Checked,
) -> Result<Recorded, Error> {
    let season = season_id;
    let wallet = store::account(conn, season, &t.organization_id, AccountKind::Wallet)?;
    let bank = store::account(conn, season, &caller.organization_id, AccountKind::Bank)?;
    let (user, key) = caller.actor_ids();
    let row = TransactionRow {
        id: TransactionId::generate(),
        season_id: season.clone(),
        kind: TransactionKind::Funding,
        organization_id: t.organization_id,
        contract_id: None,
        instalment: None,
        bank_reference: Some(t.reference),
        memo: t.memo,
        actor_user_id: user,
        actor_api_key_id: key,
        created_at: now(),
    };
    store::post(conn, &row, &[(bank, -t.amount), (wallet, t.amount)])?;
    Ok(Recorded {
        transaction: row,
        amount: t.amount,
        created: true,
    })
}

/// Records a bank transfer into a client's wallet (ministry officers and admins). The bank's
/// reference makes it once only: the same transfer sent again is answered with the first record;
/// the reference used for anything else is refused (`bank_reference_used`).
pub fn fund(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    transfer: Result<Transfer, Error>,
) -> Result<Recorded, Error> {
    access::manage_money(caller)?;
    season(conn, season_id)?;
    let checked = match check_transfer(conn, transfer?)? {
        Ok(checked) => checked,
        Err(refused) if refused.iter().all(|f| f.invalid.code == "not_a_client") => {
            return Err(Error::conflict("wrong_organization_kind"));
        }
        Err(refused) => return Err(Error::invalid(refused)),
    };
    match known(conn, season_id, &checked)? {
        Known::New => {
            let recorded = record_transfer(conn, caller, season_id, checked)?;
            super::feed::funding_changed(conn, season_id, &recorded.transaction.organization_id)?;
            Ok(recorded)
        }
        Known::Same(recorded) => Ok(*recorded),
        Known::Used => Err(Error::conflict("bank_reference_used")),
    }
}

/// The most lines a bank statement may have.
pub const MAX_STATEMENT_LINES: usize = 5000;

/// One transfer of a bank statement, with the line of the file it is on.
#[derive(Clone, Debug)]
pub struct StatementTransfer {
    pub line: u64,
    pub transfer: Transfer,
}

/// A line of a statement that was not recorded, and why: its reference was recorded before for
/// the same transfer (`already_recorded`) or for another (`bank_reference_used`), or came earlier
/// in the same file (`repeated_in_file`).
#[derive(Clone, Debug)]
pub struct Skipped {
    pub line: u64,
    pub bank_reference: String,
    pub reason: &'static str,
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    pub recorded: Vec<(u64, Recorded)>,
    pub skipped: Vec<Skipped>,
}

/// Records the transfers of a bank statement (ministry officers and admins), all or none: a line
/// that fails its checks rejects the whole file, its fields named `lines[N].field` with N the line
/// of the file; a reference already recorded (or repeated in the file) is skipped and reported.
/// `lines` is the parsed file, or why it could not be read. Run inside a write transaction.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    lines: Result<Vec<StatementTransfer>, Error>,
) -> Result<Imported, Error> {
    access::manage_money(caller)?;
    season(conn, season_id)?;
    let lines = lines?;
    let mut checked = Vec::with_capacity(lines.len());
    let mut refused = Vec::new();
    for l in lines {
        match check_transfer(conn, l.transfer)? {
            Ok(c) => checked.push((l.line, c)),
            Err(fields) => refused.extend(fields.into_iter().map(|mut f| {
                f.field = format!("lines[{}].{}", l.line, f.field);
                f
            })),
        }
    }
    if !refused.is_empty() {
        return Err(Error::invalid(refused));
    }
    let mut imported = Imported::default();
    let mut seen = std::collections::HashSet::new();
    for (line, t) in checked {
        let skip = |reason| Skipped {
            line,
            bank_reference: t.reference.clone(),
            reason,
        };
        if !seen.insert(t.reference.clone()) {
            imported.skipped.push(skip("repeated_in_file"));
            continue;
        }
        match known(conn, season_id, &t)? {
            Known::Same(_) => imported.skipped.push(skip("already_recorded")),
            Known::Used => imported.skipped.push(skip("bank_reference_used")),
            Known::New => {
                let recorded = record_transfer(conn, caller, season_id, t)?;
                imported.recorded.push((line, recorded));
            }
        }
    }
    if imported.recorded.is_empty() {
        return Ok(imported);
    }
    // The ledger grew by the whole statement: counted again before any wallet is read (see
    // `storage::ledger::analyze`), then each client's readiness follows its wallet once, in the
    // order of the file. Read after each line, wallets cost a scan of the ledger each while a plan
    // made for fewer entries held: 138 s for 1,000 lines at the start of a season.
    store::analyze(conn)?;
    let mut followed = std::collections::HashSet::new();
    for (_, recorded) in &imported.recorded {
        let client = &recorded.transaction.organization_id;
        if followed.insert(client) {
            super::feed::funding_changed(conn, season_id, client)?;
        }
    }
    Ok(imported)
}

/// What a contract's step does to its money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Submitted: it holds capacity, and its guarantee is lodged.
    Submitted,
    /// Approved: its value is committed.
    Approved,
    /// Its terms changed by an approved amendment, or it stopped holding capacity (declined,
    /// returned, rejected, cancelled): what it holds follows.
    Changed,
}

/// Refuses a change the wallet does not cover (R17): nothing of the step is kept.
fn cover(conn: &mut DbConnection, wallet: &AccountId, change: i64) -> Result<(), Error> {
    if change <= 0 {
        return Ok(());
    }
    let free = store::balance(conn, wallet)?;
    if free < change {
        return Err(Error::conflict("insufficient_funds").with_details(Details {
            amount_required: Some(Money::from_halalas(change)),
            amount_available: Some(Money::from_halalas(free.max(0))),
            ..Details::default()
        }));
    }
    Ok(())
}

/// Brings a contract's money in line with its status and value, in the transaction of the step
/// that changed them (docs/domain.md section 11): a submission lodges its guarantee from the
/// client's wallet, an approval commits its value (each refused with `insufficient_funds` if the
/// wallet does not cover it, and nothing changes), an approved amendment lodges or commits the
/// difference or gives it back, and a contract that stops holding capacity gets back its
/// guarantee and what of its value is not paid yet. Instalments already due are paid at once.
/// Contracts of a type with no schedule in their season, and contracts submitted or approved
/// before it was set, move no money (for that part). Answers whether the contract's type has a
/// schedule in its season (whether its value counts against its client's wallet).
pub fn settle(conn: &mut DbConnection, row: &ContractRow, step: Step) -> Result<bool, Error> {
    let Some(schedule) = store::schedule(conn, &row.season_id, row.contract_type)? else {
        return Ok(false);
    };
    // Only steps on this contract put it under the ledger, and they wait for one another on its
    // row: whether it is under the ledger is known before the wallet's lock.
    let marks = [TransactionKind::Guarantee, TransactionKind::Commitment];
    if step == Step::Changed && store::first_of(conn, &row.id, &marks)?.is_none() {
        return Ok(true);
    }
    let wallet = store::locked_account(conn, &row.season_id, &row.client_id, AccountKind::Wallet)?;
    // What it holds is read under the lock: the payer may have paid an instalment meanwhile.
    let mut ledger = store::contract_ledger(conn, &row.id)?;
    let guaranteed =
        step == Step::Submitted || ledger.first(&[TransactionKind::Guarantee]).is_some();
    let committing =
        step == Step::Approved || ledger.first(&[TransactionKind::Commitment]).is_some();
    if guaranteed {
        let settled = [TransactionKind::GuaranteeSettled, TransactionKind::Forfeit];
        let target = if row.status.holds() && ledger.first(&settled).is_none() {
            schedule.guarantee(row.total)
        } else {
            0
        };
        let kinds = (
            TransactionKind::Guarantee,
            TransactionKind::GuaranteeRelease,
        );
        let change = target - ledger.guarantee;
        let mark = step == Step::Submitted;
        hold(
            conn,
            row,
            &wallet,
            AccountKind::Guarantees,
            change,
            kinds,
            mark,
        )?;
    }
    if committing {
        let value = if row.status == ContractStatus::Approved {
            row.total
        } else {
            0
        };
        let change = (value - ledger.paid).max(0) - ledger.committed;
        let kinds = (TransactionKind::Commitment, TransactionKind::Release);
        let mark = step == Step::Approved;
        let at = hold(
            conn,
            row,
            &wallet,
            AccountKind::Committed,
            change,
            kinds,
            mark,
        )?;
        ledger.committed += change;
        if let Some(at) = at
            && ledger.first(&[TransactionKind::Commitment]).is_none()
        {
            ledger.marks.push((TransactionKind::Commitment, None, at));
        }
        if row.status == ContractStatus::Approved {
            pay(conn, row, &schedule, &mut ledger, today_in_makkah())?;
        }
    }
    Ok(true)
}

/// Moves `change` from the client's wallet into its account of `kind` for the contract (back, if
/// negative), refused if the wallet does not cover it. The transaction is written even with no
/// change when `mark` asks (the step that puts the contract under the ledger). Answers when it was
/// written, if it was.
fn hold(
    conn: &mut DbConnection,
    row: &ContractRow,
    wallet: &AccountId,
    kind: AccountKind,
    change: i64,
    (up, down): (TransactionKind, TransactionKind),
    mark: bool,
) -> Result<Option<chrono::NaiveDateTime>, Error> {
    cover(conn, wallet, change)?;
    if change == 0 && !mark {
        return Ok(None);
    }
    let account = store::account(conn, &row.season_id, &row.client_id, kind)?;
    let transaction = ledger_row(row, if change >= 0 { up } else { down }, None, "");
    store::post(
        conn,
        &transaction,
        &[(wallet.to_owned(), -change), (account, change)],
    )?;
    Ok(Some(transaction.created_at))
}

fn ledger_row(
    row: &ContractRow,
    kind: TransactionKind,
    instalment: Option<i64>,
    memo: &str,
) -> TransactionRow {
    TransactionRow {
        id: TransactionId::generate(),
        season_id: row.season_id.clone(),
        kind,
        organization_id: row.client_id.clone(),
        contract_id: Some(row.id.clone()),
        instalment,
        bank_reference: None,
        memo: memo.to_owned(),
        actor_user_id: None,
        actor_api_key_id: None,
        created_at: now(),
    }
}

/// Pays the instalments of an approved contract that are due by `today` and not paid yet, in
/// order; the season-end instalment waits while the contract's latest inspection failed. The
/// caller holds the client's wallet lock. Returns how many were paid.
fn pay(
    conn: &mut DbConnection,
    row: &ContractRow,
    schedule: &Schedule,
    ledger: &mut store::ContractLedger,
    today: NaiveDate,
) -> Result<usize, Error> {
    let Some(approved_at) = ledger.first(&[TransactionKind::Commitment]) else {
        return Ok(0);
    };
    let paid_positions = ledger.paid_positions();
    if paid_positions.len() >= schedule.instalments().len() {
        return Ok(0);
    }
    let season = super::seasons::find(conn, &row.season_id)?;
    let targets = schedule.targets(row.total);
    let mut accounts = None;
    let mut count = 0;
    for (position, (instalment, target)) in schedule.instalments().iter().zip(targets).enumerate() {
        let position = position as i64;
        if paid_positions.contains(&position) {
            continue;
        }
        let due = due_on(
            instalment.due,
            approved_at.date(),
            row.starts_on,
            season.ends_on,
        );
        if due > today {
            break;
        }
        if instalment.due == Due::SeasonEnd && store::latest_inspection_failed(conn, &row.id)? {
            break;
        }
        let (committed, received) = match &accounts {
            Some(pair) => pair,
            None => accounts.insert((
                store::account(conn, &row.season_id, &row.client_id, AccountKind::Committed)?,
                store::account(
                    conn,
                    &row.season_id,
                    &row.provider_id,
                    AccountKind::Received,
                )?,
            )),
        };
        let amount = (target - ledger.paid).clamp(0, ledger.committed);
        let transaction = ledger_row(row, TransactionKind::Instalment, Some(position), "");
        store::post(
            conn,
            &transaction,
            &[(committed.clone(), -amount), (received.clone(), amount)],
        )?;
        ledger.paid += amount;
        ledger.committed -= amount;
        count += 1;
    }
    Ok(count)
}

/// Pays every instalment due by `today` that is not paid yet, and gives back the guarantees of
/// contracts whose season ended before `today` (unless their latest inspection failed: those
/// wait for the ministry's decision), each contract in a transaction of its own under its
/// client's wallet lock: whichever process finds one first moves its money, once. Returns how
/// many transactions it wrote. The background job runs it every minute with today's date in
/// Makkah.
pub fn pay_due(conn: &mut DbConnection, today: NaiveDate) -> Result<usize, Error> {
    let mut moved = 0;
    for id in store::contracts_with_instalments_due(conn, today)? {
        moved += under_lock(conn, &id, |conn, row| {
            if row.status != ContractStatus::Approved {
                return Ok(0);
            }
            let Some(schedule) = store::schedule(conn, &row.season_id, row.contract_type)? else {
                return Ok(0);
            };
            let mut ledger = store::contract_ledger(conn, &row.id)?;
            pay(conn, row, &schedule, &mut ledger, today)
        })?;
    }
    for id in store::guarantees_after_season(conn, today)? {
        moved += under_lock(conn, &id, |conn, row| {
            let held = store::contract_sum(conn, &row.id, AccountKind::Guarantees)?;
            if held <= 0 || store::latest_inspection_failed(conn, &row.id)? {
                return Ok(0);
            }
            release_guarantee(conn, row, held, 0, "the season ended")?;
            Ok(1)
        })?;
    }
    Ok(moved)
}

/// Runs `f` on a contract in a write transaction of its own, under its client's wallet lock, with
/// the contract read again once the lock is held (a step may have committed meanwhile).
fn under_lock(
    conn: &mut DbConnection,
    id: &ContractId,
    f: impl FnOnce(&mut DbConnection, &ContractRow) -> Result<usize, Error>,
) -> Result<usize, Error> {
    write_transaction(conn, |conn| -> Result<usize, Error> {
        let Some(first) = contracts::find(conn, id)? else {
            return Ok(0);
        };
        store::locked_account(
            conn,
            &first.season_id,
            &first.client_id,
            AccountKind::Wallet,
        )?;
        let Some(row) = contracts::find(conn, id)? else {
            return Ok(0);
        };
        f(conn, &row)
    })
}

/// Ends a contract's guarantee: `forfeit` of the `held` amount to its provider, the rest back to
/// the client's wallet. The caller holds the wallet lock.
fn release_guarantee(
    conn: &mut DbConnection,
    row: &ContractRow,
    held: i64,
    forfeit: i64,
    memo: &str,
) -> Result<(), Error> {
    let (season, client) = (&row.season_id, &row.client_id);
    let guarantees = store::account(conn, season, client, AccountKind::Guarantees)?;
    let wallet = store::account(conn, season, client, AccountKind::Wallet)?;
    let received = store::account(conn, season, &row.provider_id, AccountKind::Received)?;
    let kind = if forfeit > 0 {
        TransactionKind::Forfeit
    } else {
        TransactionKind::GuaranteeSettled
    };
    let transaction = ledger_row(row, kind, None, memo);
    store::post(
        conn,
        &transaction,
        &[
            (guarantees, -held),
            (received, forfeit),
            (wallet, held - forfeit),
        ],
    )?;
    super::feed::funding_changed(conn, season, client)
}

/// The ministry's decision on a contract's guarantee.
#[derive(Clone, Debug)]
pub struct Forfeiture {
    /// What goes to the provider; the rest of the guarantee goes back to the client's wallet.
    pub forfeit: Money,
    pub reason: Option<String>,
}

/// Settles a contract's guarantee by the ministry's decision (ministry officers and admins), once
/// its season has ended or its latest inspection failed: part of it forfeited to the provider
/// with a reason, the rest given back. `decision` is the request's input, or why it could not be
/// read. Run inside a write transaction.
pub fn decide_guarantee(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &ContractId,
    decision: Result<Forfeiture, Error>,
) -> Result<ContractMoney, Error> {
    let row = super::contracts::visible(conn, caller, id)?;
    if !access::sees_money(caller) {
        return Err(Error::not_found());
    }
    access::manage_money(caller)?;
    let decision = decision?;
    let reason = super::contracts::reason(true, decision.reason)?.unwrap_or_default();
    // The wallet's lock: what the guarantee holds is read and released under it.
    store::locked_account(conn, &row.season_id, &row.client_id, AccountKind::Wallet)?;
    let held = store::contract_sum(conn, &row.id, AccountKind::Guarantees)?;
    if held <= 0 {
        return Err(Error::conflict("no_guarantee"));
    }
    let season = super::seasons::find(conn, &row.season_id)?;
    if today_in_makkah() <= season.ends_on && !store::latest_inspection_failed(conn, &row.id)? {
        return Err(Error::conflict("guarantee_not_due"));
    }
    let forfeit = decision.forfeit.halalas();
    if forfeit > held {
        return Err(
            Error::invalid_field("forfeit", Invalid::new("out_of_range")).with_details(Details {
                amount_required: Some(decision.forfeit),
                amount_available: Some(Money::from_halalas(held)),
                ..Details::default()
            }),
        );
    }
    release_guarantee(conn, &row, held, forfeit, &reason)?;
    contract_money(conn, caller, id)
}

/// An organisation whose money the caller may see, or 404.
fn visible_organization(
    conn: &mut DbConnection,
    caller: &Caller,
    organization_id: &OrganizationId,
) -> Result<(), Error> {
    let Some((_, parent)) = store::organization_kind(conn, organization_id)? else {
        return Err(Error::not_found());
    };
    let parent = parent.as_deref().map(OrganizationId::from_stored);
    if !access::sees_money_of(caller, organization_id, parent.as_ref()) {
        return Err(Error::not_found());
    }
    Ok(())
}

/// An organisation's balances in a season: the ministry's for any, a client's own (an office's
/// also its agencies'), a provider's own; nothing for tawafa establishments and authorities.
pub fn balances(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
) -> Result<Balances, Error> {
    visible_organization(conn, caller, organization_id)?;
    season(conn, season_id)?;
    let mut b = Balances {
        organization_id: organization_id.to_string(),
        season_id: season_id.to_string(),
        ..Balances::default()
    };
    for (kind, amount) in store::balances(conn, season_id, organization_id)? {
        match kind {
            AccountKind::Wallet => b.wallet = amount,
            AccountKind::Committed => b.committed = amount,
            AccountKind::Guarantees => b.guarantees = amount,
            AccountKind::Received => b.received = amount,
            AccountKind::Bank => {}
        }
    }
    b.owed = store::owed_to(conn, season_id, organization_id)?;
    Ok(b)
}

/// One page of an organisation's statement in a season, oldest first (who may see it: as for
/// [`balances`]). The cursor must be an entry of this statement.
pub fn statement(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    after: Option<&EntryId>,
    limit: i64,
) -> Result<Vec<StatementLine>, Error> {
    visible_organization(conn, caller, organization_id)?;
    season(conn, season_id)?;
    if let Some(after) = after
        && !store::entry_of(conn, after, season_id, organization_id)?
    {
        return Err(Error::invalid_query(
            "cursor",
            Invalid::new("invalid_value"),
        ));
    }
    Ok(store::statement(
        conn,
        season_id,
        organization_id,
        after,
        limit,
    )?)
}

/// The season's money as a whole (the ministry).
pub fn season_money(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
) -> Result<SeasonMoney, Error> {
    access::season_money(caller)?;
    season(conn, season_id)?;
    let mut m = SeasonMoney::default();
    for (kind, amount) in store::season_balances(conn, season_id)? {
        match kind {
            AccountKind::Bank => m.funded = -amount,
            AccountKind::Wallet => m.wallets = amount,
            AccountKind::Committed => m.committed = amount,
            AccountKind::Guarantees => m.guarantees = amount,
            AccountKind::Received => m.paid = amount,
        }
    }
    Ok(m)
}

/// A contract's money, to its parties and the ministry (never to those who do not see prices).
pub fn contract_money(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &ContractId,
) -> Result<ContractMoney, Error> {
    let row = super::contracts::visible(conn, caller, id)?;
    if !access::sees_money(caller) {
        return Err(Error::not_found());
    }
    let ledger = store::contract_ledger(conn, &row.id)?;
    let paid_rows = store::paid_instalments(conn, &row.id)?;
    let mut instalments = Vec::new();
    if let Some(schedule) = store::schedule(conn, &row.season_id, row.contract_type)? {
        let approved = ledger.first(&[TransactionKind::Commitment]);
        let season = super::seasons::find(conn, &row.season_id)?;
        let targets = schedule.targets(row.total);
        let mut before = 0;
        for (position, (instalment, target)) in
            schedule.instalments().iter().zip(targets).enumerate()
        {
            let position = position as i64;
            let done = paid_rows.iter().find(|(p, _, _)| *p == position);
            let amount = match done {
                Some((_, amount, _)) => *amount,
                None => (target - before).max(0),
            };
            before += amount;
            instalments.push(ContractInstalment {
                position,
                instalment: *instalment,
                due_on: approved
                    .map(|a| due_on(instalment.due, a.date(), row.starts_on, season.ends_on)),
                amount,
                paid_at: done.map(|(_, _, at)| *at),
            });
        }
    }
    Ok(ContractMoney {
        contract_id: row.id,
        value: row.total,
        committed: ledger.committed,
        paid: ledger.paid,
        guarantee_held: ledger.guarantee,
        guarantee_forfeited: ledger.forfeited,
        instalments,
    })
}

/// What `etrack check` finds wrong with the money: unbalanced transactions, wallets below zero,
/// commitments that differ from the approved contracts' unpaid value, payments beyond a value.
pub fn verify(conn: &mut DbConnection) -> Result<Vec<String>, Error> {
    let mut problems = Vec::new();
    for (transaction, sum) in store::checks::unbalanced(conn)? {
        problems.push(format!(
            "ledger transaction {transaction} does not balance: its entries add up to {}",
            crate::domain::money::signed(sum)
        ));
    }
    for (season, org, balance) in store::checks::negative_wallets(conn)? {
        problems.push(format!(
            "wallet of organisation {org} in season {season} is below zero: {}",
            crate::domain::money::signed(balance)
        ));
    }
    for c in store::checks::contract_money(conn)? {
        let (contract, status, total, committed, received) =
            (c.contract_id, c.status, c.value, c.committed, c.received);
        let expected = if status == ContractStatus::Approved {
            (total - received).max(0)
        } else {
            0
        };
        if committed != expected {
            problems.push(format!(
                "contract {contract} ({}) has {} committed, expected {}",
                status.as_str(),
                crate::domain::money::signed(committed),
                crate::domain::money::signed(expected)
            ));
        }
        if c.guarantee < 0 || (!status.holds() && c.guarantee != 0) {
            problems.push(format!(
                "contract {contract} ({}) holds a guarantee of {}",
                status.as_str(),
                crate::domain::money::signed(c.guarantee)
            ));
        }
        if status == ContractStatus::Approved && c.approved_at.is_some() {
            let schedule = store::schedule(conn, &c.season_id, c.contract_type)?;
            let paid = &c.paid_positions;
            let instalments = schedule.as_ref().map_or(&[][..], |s| s.instalments());
            for (position, instalment) in instalments.iter().enumerate() {
                if instalment.due == Due::Approval && !paid.contains(&(position as i64)) {
                    problems.push(format!(
                        "contract {contract} is approved but its instalment {position}, due at approval, is not paid"
                    ));
                }
            }
            if paid
                .iter()
                .any(|p| *p < 0 || *p >= instalments.len() as i64)
            {
                problems.push(format!(
                    "contract {contract} has an instalment paid that its schedule does not have"
                ));
            }
        }
        if status == ContractStatus::Approved && received > total {
            problems.push(format!(
                "contract {contract} was paid {} of a value of {}",
                crate::domain::money::signed(received),
                crate::domain::money::signed(total)
            ));
        }
    }
    Ok(problems)
}
