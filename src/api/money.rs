//! Money over HTTP: payment schedules, bank transfers, balances and statements, a contract's
//! instalments. Each handler parses, calls one use case of [`crate::usecases::money`] and renders
//! (docs/domain.md section 11). Amounts are decimal strings in SAR.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{CsvBody, Json, PageQuery, Query, path_id};
use super::problem::ProblemDetails;
use super::{lists, utc};
use crate::auth::credentials::Authenticated;
use crate::domain::Invalid;
use crate::domain::calendar::hijri;
use crate::domain::ids::{ContractId, OrganizationId, SeasonId};
use crate::domain::ledger::{AccountKind, Due, Instalment, Schedule, TransactionKind};
use crate::domain::money::{CURRENCY, Money, parse_currency, signed};
use crate::domain::season::ContractType;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::ledger::StatementLine;
use crate::usecases::money::{self, Balances, ContractMoney, Recorded, SeasonMoney, Transfer};

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct InstalmentInput {
    /// A whole percent of the contract's value, 1 to 100.
    #[schema(minimum = 1, maximum = 100)]
    pub share_percent: i64,
    pub due: Due,
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// One to three instalments, due in the order approval, service_start, season_end; their
    /// shares add up to 100.
    pub instalments: Vec<InstalmentInput>,
    /// The guarantee a client lodges from its wallet when it submits a contract of this type, a
    /// whole percent of the contract's value (0, the default, for none).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub guarantee_percent: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ScheduleView {
    #[schema(format = Uuid)]
    pub season_id: String,
    pub contract_type: ContractType,
    pub instalments: Vec<InstalmentInput>,
    pub guarantee_percent: i64,
}

fn schedule_view(season_id: &SeasonId, contract_type: ContractType, s: &Schedule) -> ScheduleView {
    ScheduleView {
        season_id: season_id.to_string(),
        contract_type,
        instalments: s
            .instalments()
            .iter()
            .map(|i| InstalmentInput {
                share_percent: i.share_percent,
                due: i.due,
            })
            .collect(),
        guarantee_percent: s.guarantee_percent(),
    }
}

/// Sets how contracts of a type are paid in the season, and the guarantee a submission lodges
/// (ministry officers and admins): submission then lodges the guarantee from the client's wallet,
/// approval commits the contract's value, and instalments pay the provider when due. Fixed once
/// money has been committed or lodged under it (`schedule_in_use`).
#[utoipa::path(
    operation_id = "setPaymentSchedule",
    tag = "money",
    request_body = ScheduleInput,
    params(("id" = String, Path, description = "Season id"), ("contract_type" = ContractType, Path, description = "housing, transport or catering")),
    responses(
        (status = 200, description = "The schedule", body = ScheduleView),
        (status = 409, description = "`schedule_in_use`", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[put("/{id}/payment-schedules/{contract_type}")]
pub async fn set_schedule(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Json<ScheduleInput>,
) -> Result<HttpResponse, Error> {
    let (id, contract_type) = path.into_inner();
    let id: SeasonId = path_id(&id)?;
    let contract_type = ContractType::parse(&contract_type).ok_or_else(Error::not_found)?;
    let view = state
        .write(auth, move |conn, caller| {
            let terms = body.get().map(|b| {
                let instalments = b
                    .instalments
                    .into_iter()
                    .map(|i| Instalment {
                        share_percent: i.share_percent,
                        due: i.due,
                    })
                    .collect();
                (instalments, b.guarantee_percent)
            });
            let schedule = money::set_schedule(conn, caller, &id, contract_type, terms)?;
            Ok(schedule_view(&id, contract_type, &schedule))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The season's payment schedules (every one; a type without one moves no money). Not shown to
/// tawafa establishments and authorities.
#[utoipa::path(
    operation_id = "listPaymentSchedules",
    tag = "money",
    params(("id" = String, Path, description = "Season id")),
    responses((status = 200, description = "Every schedule (no next page)", body = super::Page<ScheduleView>))
)]
#[get("/{id}/payment-schedules")]
pub async fn schedules(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let views = state
        .read(auth, move |conn, caller| {
            Ok(money::schedules(conn, caller, &id)?
                .iter()
                .map(|(t, s)| schedule_view(&id, *t, s))
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(lists::whole(&req, "payment-schedules", views))
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateTransfer {
    /// The office or agency whose wallet the transfer funds.
    pub organization_id: OrganizationId,
    /// SAR, a decimal string with at most two decimals.
    #[schema(example = "250000.00")]
    pub amount: String,
    /// `SAR`.
    pub currency: String,
    /// The bank's reference of the transfer: recorded once.
    #[schema(max_length = 64, example = "SNB-2027-000184")]
    pub bank_reference: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub memo: String,
}

#[derive(Serialize, ToSchema)]
pub struct TransferView {
    /// The ledger transaction.
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub season_id: String,
    #[schema(format = Uuid)]
    pub organization_id: String,
    pub amount: String,
    pub currency: &'static str,
    pub bank_reference: String,
    pub memo: String,
    pub created_at: DateTime<Utc>,
}

impl From<Recorded> for TransferView {
    fn from(r: Recorded) -> TransferView {
        TransferView {
            id: r.transaction.id.into_string(),
            season_id: r.transaction.season_id.into_string(),
            organization_id: r.transaction.organization_id.into_string(),
            amount: signed(r.amount),
            currency: CURRENCY,
            bank_reference: r.transaction.bank_reference.unwrap_or_default(),
            memo: r.transaction.memo,
            created_at: utc(r.transaction.created_at),
        }
    }
}

impl CreateTransfer {
    fn parse(self) -> Result<Transfer, Error> {
        let mut errors = Vec::new();
        let amount = Money::parse(self.amount.trim())
            .map_err(|e| errors.push(crate::error::FieldError::new("amount", e)))
            .ok();
        if let Err(e) = parse_currency(&self.currency) {
            errors.push(crate::error::FieldError::new("currency", e));
        }
        match amount {
            Some(amount) if errors.is_empty() => Ok(Transfer {
                organization_id: self.organization_id,
                amount,
                bank_reference: self.bank_reference,
                memo: self.memo,
            }),
            _ => Err(Error::invalid(errors)),
        }
    }
}

/// Records a bank transfer into an office's or agency's wallet for the season (ministry officers
/// and admins). The bank reference makes it once only: the same transfer sent again answers 200
/// with the first record; the reference with another organisation, season or amount is refused
/// (`bank_reference_used`).
#[utoipa::path(
    operation_id = "createTransfer",
    tag = "money",
    request_body = CreateTransfer,
    params(("id" = String, Path, description = "Season id")),
    responses(
        (status = 201, description = "Recorded", body = TransferView),
        (status = 200, description = "Recorded before, with the same bank reference", body = TransferView),
        (status = 409, description = "`bank_reference_used`, `wrong_organization_kind`", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/transfers")]
pub async fn create_transfer(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<CreateTransfer>,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let (view, created) = state
        .write(auth, move |conn, caller| {
            let transfer = body.get().and_then(CreateTransfer::parse);
            let recorded = money::fund(conn, caller, &id, transfer)?;
            let created = recorded.created;
            Ok(Recording(TransferView::from(recorded), created))
        })
        .await
        .map(|r| (r.0, r.1))?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// A transfer and whether this request recorded it.
pub struct Recording(pub TransferView, pub bool);

#[derive(Serialize, ToSchema)]
pub struct BalancesView {
    #[schema(format = Uuid)]
    pub organization_id: String,
    #[schema(format = Uuid)]
    pub season_id: String,
    pub currency: &'static str,
    /// Free to commit (offices and agencies).
    pub wallet: String,
    /// Set aside for approved contracts, not paid yet.
    pub committed: String,
    /// Lodged as guarantees.
    pub guarantees: String,
    /// Paid to it (service providers).
    pub received: String,
    /// Committed by clients to its contracts, not paid yet (service providers).
    pub owed: String,
}

impl From<Balances> for BalancesView {
    fn from(b: Balances) -> BalancesView {
        BalancesView {
            organization_id: b.organization_id,
            season_id: b.season_id,
            currency: CURRENCY,
            wallet: signed(b.wallet),
            committed: signed(b.committed),
            guarantees: signed(b.guarantees),
            received: signed(b.received),
            owed: signed(b.owed),
        }
    }
}

/// An organisation's balances in the season, derived from its ledger entries: the ministry sees
/// any organisation's, an office its own and its agencies', an agency or a service provider its
/// own; tawafa establishments and authorities none (404).
#[utoipa::path(
    operation_id = "getBalances",
    tag = "money",
    params(("id" = String, Path, description = "Season id"), ("organization_id" = String, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The balances", body = BalancesView),
        (status = 404, description = "No such season or organisation, or not yours to see", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/accounts/{organization_id}")]
pub async fn balances(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, org) = path.into_inner();
    let (id, org): (SeasonId, OrganizationId) = (path_id(&id)?, path_id(&org)?);
    let view = state
        .read(auth, move |conn, caller| {
            money::balances(conn, caller, &id, &org).map(BalancesView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Serialize, ToSchema)]
pub struct EntryView {
    #[schema(format = Uuid)]
    pub id: String,
    pub account: AccountKind,
    /// Signed: what came into the account (positive) or went out of it (negative).
    pub amount: String,
    pub currency: &'static str,
    #[schema(format = Uuid)]
    pub transaction_id: String,
    pub kind: TransactionKind,
    #[schema(format = Uuid)]
    pub contract_id: Option<String>,
    /// The schedule position an instalment pays (0 first).
    pub instalment: Option<i64>,
    pub bank_reference: Option<String>,
    pub memo: String,
    pub created_at: DateTime<Utc>,
}

impl From<StatementLine> for EntryView {
    fn from(l: StatementLine) -> EntryView {
        EntryView {
            id: l.entry.id.into_string(),
            account: l.account,
            amount: signed(l.entry.amount),
            currency: CURRENCY,
            transaction_id: l.transaction.id.into_string(),
            kind: l.transaction.kind,
            contract_id: l.transaction.contract_id.map(ContractId::into_string),
            instalment: l.transaction.instalment,
            bank_reference: l.transaction.bank_reference,
            memo: l.transaction.memo,
            created_at: utc(l.entry.created_at),
        }
    }
}

/// An organisation's statement in the season: every movement of its accounts, oldest first (who
/// sees it: as for its balances). `Accept: text/csv` downloads all of it.
#[utoipa::path(
    operation_id = "listAccountEntries",
    tag = "money",
    params(("id" = String, Path, description = "Season id"), ("organization_id" = String, Path, description = "Organisation id"), PageQuery),
    responses(
        (status = 200, description = "One page", body = super::Page<EntryView>),
        (status = 404, description = "No such season or organisation, or not yours to see", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/accounts/{organization_id}/entries")]
pub async fn entries(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    let (id, org) = path.into_inner();
    let (id, org): (SeasonId, OrganizationId) = (path_id(&id)?, path_id(&org)?);
    let page = query.parse()?;
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "statement",
        move |conn, caller, page| {
            let lines =
                page.read(|after, n| money::statement(conn, caller, &id, &org, after, n))?;
            Ok(page.show(lines, |l| l.entry.id.as_str(), EntryView::from))
        },
    )
    .await
}

#[derive(Serialize, ToSchema)]
pub struct SeasonMoneyView {
    #[schema(format = Uuid)]
    pub season_id: String,
    pub currency: &'static str,
    /// Every bank transfer in.
    pub funded: String,
    /// Free in clients' wallets.
    pub wallets: String,
    /// Committed to approved contracts, not paid yet.
    pub committed: String,
    pub guarantees: String,
    /// Paid to service providers.
    pub paid: String,
}

impl SeasonMoneyView {
    fn new(season_id: String, m: SeasonMoney) -> SeasonMoneyView {
        SeasonMoneyView {
            season_id,
            currency: CURRENCY,
            funded: signed(m.funded),
            wallets: signed(m.wallets),
            committed: signed(m.committed),
            guarantees: signed(m.guarantees),
            paid: signed(m.paid),
        }
    }
}

/// The season's money as a whole (the ministry): what came in by bank transfer equals what is in
/// wallets, committed, lodged as guarantees and paid.
#[utoipa::path(
    operation_id = "getSeasonMoney",
    tag = "money",
    params(("id" = String, Path, description = "Season id")),
    responses((status = 200, description = "The totals", body = SeasonMoneyView))
)]
#[get("/{id}/money")]
pub async fn season_money(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            let m = money::season_money(conn, caller, &id)?;
            Ok(SeasonMoneyView::new(id.to_string(), m))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Serialize, ToSchema)]
pub struct InstalmentView {
    /// 0 for the first.
    pub position: i64,
    pub share_percent: i64,
    pub due: Due,
    /// The day it falls due, once the contract is approved.
    pub due_on: Option<NaiveDate>,
    pub due_on_hijri: Option<String>,
    /// What it pays, or paid.
    pub amount: String,
    pub paid: bool,
    pub paid_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ContractPaymentsView {
    pub contract_id: ContractId,
    pub currency: &'static str,
    pub value: String,
    pub committed: String,
    pub paid: String,
    /// Lodged from the client's wallet, not given back yet.
    pub guarantee_held: String,
    /// Forfeited to the provider by the ministry's decision.
    pub guarantee_forfeited: String,
    /// Empty when the season has no payment schedule for the contract's type.
    pub instalments: Vec<InstalmentView>,
}

impl From<ContractMoney> for ContractPaymentsView {
    fn from(m: ContractMoney) -> ContractPaymentsView {
        ContractPaymentsView {
            contract_id: m.contract_id,
            currency: CURRENCY,
            value: signed(m.value),
            committed: signed(m.committed),
            paid: signed(m.paid),
            guarantee_held: signed(m.guarantee_held),
            guarantee_forfeited: signed(m.guarantee_forfeited),
            instalments: m
                .instalments
                .into_iter()
                .map(|i| InstalmentView {
                    position: i.position,
                    share_percent: i.instalment.share_percent,
                    due: i.instalment.due,
                    due_on_hijri: i.due_on.map(hijri),
                    due_on: i.due_on,
                    amount: signed(i.amount),
                    paid: i.paid_at.is_some(),
                    paid_at: i.paid_at.map(utc),
                })
                .collect(),
        }
    }
}

/// A contract's payments: its value, what is committed and paid, and each instalment with its due
/// day. To the contract's client and provider and the ministry; 404 to those who never see prices.
#[utoipa::path(
    operation_id = "getContractPayments",
    tag = "money",
    params(("id" = String, Path, description = "Contract id")),
    responses(
        (status = 200, description = "The payments", body = ContractPaymentsView),
        (status = 404, description = "No such contract, or not yours to see", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/payments")]
pub async fn contract_payments(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            money::contract_money(conn, caller, &id).map(ContractPaymentsView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct GuaranteeDecision {
    /// What goes to the provider (SAR, a decimal string; `"0"` gives it all back).
    #[schema(example = "1200.00")]
    pub forfeit: String,
    #[schema(max_length = 1000)]
    pub reason: String,
}

/// Settles a contract's guarantee by the ministry's decision (ministry officers and admins), once
/// its season has ended or its latest inspection failed: `forfeit` goes to the provider, the rest
/// back to the client's wallet. After the season, a guarantee no decision is pending on goes back
/// by itself.
#[utoipa::path(
    operation_id = "decideGuarantee",
    tag = "money",
    request_body = GuaranteeDecision,
    params(("id" = String, Path, description = "Contract id")),
    responses(
        (status = 200, description = "The contract's payments after the decision", body = ContractPaymentsView),
        (status = 409, description = "`no_guarantee`, `guarantee_not_due`", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/guarantee/decide")]
pub async fn decide_guarantee(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<GuaranteeDecision>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let view = state
        .write(auth, move |conn, caller| {
            let decision = body.get().and_then(|b| {
                let forfeit = Money::parse(b.forfeit.trim())
                    .map_err(|e| Error::invalid_field("forfeit", e))?;
                Ok(money::Forfeiture {
                    forfeit,
                    reason: Some(b.reason),
                })
            });
            money::decide_guarantee(conn, caller, &id, decision).map(ContractPaymentsView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The columns of a bank statement, in any order; `memo` may be left out.
const STATEMENT_COLUMNS: [&str; 5] = [
    "bank_reference",
    "organization_id",
    "amount",
    "currency",
    "memo",
];

/// Reads a bank statement: a header naming the columns, then one transfer a line. Every line
/// that cannot be read is named (`lines[N]` with N the line of the file, the header being 1).
fn statement(text: &str) -> Result<Vec<money::StatementTransfer>, Error> {
    use crate::error::FieldError;
    let expected = "bank_reference,organization_id,amount,currency[,memo]";
    let bad_header = || {
        Error::invalid(vec![
            FieldError::new("header", Invalid::new("invalid_csv")).expecting(expected),
        ])
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| bad_header())?.clone();
    let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let [Some(reference), Some(org), Some(amount), Some(currency)] = STATEMENT_COLUMNS[..4]
        .iter()
        .map(|c| column(c))
        .collect::<Vec<_>>()[..]
    else {
        return Err(bad_header());
    };
    let memo = column(STATEMENT_COLUMNS[4]);
    if header.len() > STATEMENT_COLUMNS.len() || (memo.is_none() && header.len() > 4) {
        return Err(bad_header());
    }
    let mut transfers = Vec::new();
    let mut refused = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if i >= money::MAX_STATEMENT_LINES {
            return Err(Error::invalid_field(
                "lines",
                Invalid::with_limit("too_many", money::MAX_STATEMENT_LINES),
            ));
        }
        let record = match record {
            Ok(r) if r.len() == header.len() => r,
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                refused.push(
                    FieldError::new(format!("lines[{line}]"), Invalid::new("invalid_csv"))
                        .expecting(expected),
                );
                continue;
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                refused.push(FieldError::new(
                    format!("lines[{line}]"),
                    Invalid::new("invalid_csv"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |name: &str, invalid| FieldError::new(format!("lines[{line}].{name}"), invalid);
        let organization_id = record[org].parse::<OrganizationId>();
        if organization_id.is_err() {
            refused.push(field("organization_id", Invalid::new("invalid_id")));
        }
        let parsed_amount = Money::parse(&record[amount]);
        if let Err(e) = parsed_amount {
            refused.push(field("amount", e));
        }
        if let Err(e) = parse_currency(&record[currency]) {
            refused.push(field("currency", e));
        }
        if let (Ok(organization_id), Ok(amount)) = (organization_id, parsed_amount) {
            transfers.push(money::StatementTransfer {
                line,
                transfer: Transfer {
                    organization_id,
                    amount,
                    bank_reference: record[reference].to_owned(),
                    memo: memo.map(|m| record[m].to_owned()).unwrap_or_default(),
                },
            });
        }
    }
    if !refused.is_empty() {
        return Err(Error::invalid(refused));
    }
    if transfers.is_empty() {
        return Err(Error::invalid_field("lines", Invalid::new("required")));
    }
    Ok(transfers)
}

#[derive(Serialize, ToSchema)]
pub struct ImportedTransfer {
    /// The line of the file (the header is line 1).
    pub line: u64,
    pub transfer: TransferView,
}

#[derive(Serialize, ToSchema)]
pub struct SkippedLine {
    pub line: u64,
    pub bank_reference: String,
    /// `already_recorded` (the same transfer, recorded before), `bank_reference_used` (the
    /// reference recorded before for another organisation, season or amount) or
    /// `repeated_in_file`.
    pub reason: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct ImportView {
    pub recorded: Vec<ImportedTransfer>,
    pub skipped: Vec<SkippedLine>,
}

/// Records the transfers of a bank statement (ministry officers and admins): `text/csv`, UTF-8, a
/// header naming the columns `bank_reference`, `organization_id`, `amount`, `currency` and
/// optionally `memo`, then one transfer a line (at most 5,000, 1 MiB). All or nothing: a line that
/// cannot be read or fails a check rejects the whole file, its fields named `lines[N].field` with
/// N the line of the file. A reference recorded before, or repeated in the file, is skipped and
/// reported.
#[utoipa::path(
    operation_id = "importTransfers",
    tag = "money",
    request_body(content = String, content_type = "text/csv", description = "A bank statement"),
    params(("id" = String, Path, description = "Season id")),
    responses(
        (status = 200, description = "What was recorded and what was skipped", body = ImportView),
        (status = 400, description = "The body is not UTF-8 (`malformed_csv`)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, description = "The body is not text/csv", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/transfers/import")]
pub async fn import_transfers(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: CsvBody,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let view = state
        .write(auth, move |conn, caller| {
            let lines = body.get().and_then(|text| statement(&text));
            let imported = money::import(conn, caller, &id, lines)?;
            Ok(ImportView {
                recorded: imported
                    .recorded
                    .into_iter()
                    .map(|(line, r)| ImportedTransfer {
                        line,
                        transfer: TransferView::from(r),
                    })
                    .collect(),
                skipped: imported
                    .skipped
                    .into_iter()
                    .map(|s| SkippedLine {
                        line: s.line,
                        bank_reference: s.bank_reference,
                        reason: s.reason,
                    })
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
