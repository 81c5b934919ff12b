//! Money that moves through the portal (docs/domain.md section 11): accounts, the transactions
//! between them, and the payment schedules that say when a contract's value goes to its provider.
//! Pure arithmetic in exact halalas; the ledger itself is in `storage::ledger`.

use chrono::NaiveDate;

use super::Invalid;
use super::organization::string_enum;

string_enum!(
    /// What an account holds. A client has a `wallet` (funded by bank transfer, free to commit),
    /// `committed` (set aside for its approved contracts, not yet paid) and `guarantees`; a
    /// provider has `received` (paid to it); the ministry has `bank`, the counterpart of every
    /// transfer in (its balance is minus what came in).
    AccountKind {
        Wallet = "wallet",
        Committed = "committed",
        Guarantees = "guarantees",
        Received = "received",
        Bank = "bank",
    }
);

string_enum!(
    /// Why money moved: a bank transfer in; a commitment of an approved contract's value (or its
    /// change by an amendment); a release of what a cancelled or reduced contract no longer needs;
    /// an instalment paid to the provider; a guarantee lodged at submission (or raised by an
    /// amendment), given back when the contract stops holding capacity, settled after the season
    /// (given back) or by the ministry's decision (part of it forfeited to the provider).
    TransactionKind {
        Funding = "funding",
        Commitment = "commitment",
        Release = "release",
        Instalment = "instalment",
        Guarantee = "guarantee",
        GuaranteeRelease = "guarantee_release",
        GuaranteeSettled = "guarantee_settled",
        Forfeit = "forfeit",
    }
);

string_enum!(
    /// When an instalment falls due: when the contract is approved, on the first day of its
    /// service, or the day after the season ends (held back while the contract's latest
    /// inspection failed).
    Due {
        Approval = "approval",
        ServiceStart = "service_start",
        SeasonEnd = "season_end",
    }
);

/// One instalment of a schedule: a share of the contract's value, due at an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instalment {
    pub share_percent: i64,
    pub due: Due,
}

/// How contracts of one type are paid in a season: one to three instalments, their events in
/// order (approval, service start, season end), their shares whole percents adding up to 100; and
/// the guarantee a client lodges when it submits one, a whole percent of its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    instalments: Vec<Instalment>,
    guarantee_percent: i64,
}

impl Schedule {
    pub fn new(instalments: Vec<Instalment>, guarantee_percent: i64) -> Result<Schedule, Invalid> {
        if !(0..=100).contains(&guarantee_percent) {
            return Err(Invalid::new("out_of_range"));
        }
        if instalments.is_empty() || instalments.len() > Due::ALL.len() {
            return Err(Invalid::with_limit("invalid_schedule", Due::ALL.len()));
        }
        let rank = |d: Due| Due::ALL.iter().position(|x| *x == d);
        let ordered = instalments
            .windows(2)
            .all(|w| rank(w[0].due) < rank(w[1].due));
        let shares_ok = instalments
            .iter()
            .all(|i| (1..=100).contains(&i.share_percent));
        let total: i64 = instalments.iter().map(|i| i.share_percent).sum();
        if !ordered || !shares_ok || total != 100 {
            return Err(Invalid::with_limit("invalid_schedule", Due::ALL.len()));
        }
        Ok(Schedule {
            instalments,
            guarantee_percent,
        })
    }

    pub fn instalments(&self) -> &[Instalment] {
        &self.instalments
    }

    pub fn guarantee_percent(&self) -> i64 {
        self.guarantee_percent
    }

    /// The guarantee of a contract of `value`, rounded down to the halala.
    pub fn guarantee(&self, value: i64) -> i64 {
        value * self.guarantee_percent / 100
    }

    /// What must have been paid of `value` once each instalment is paid: the cumulative share,
    /// rounded down to the halala, the last one the whole value. Each instalment pays the
    /// difference between its target and what was paid before, so the amounts always add up to
    /// the value, whatever amendments changed it between instalments.
    pub fn targets(&self, value: i64) -> Vec<i64> {
        let mut share = 0;
        let last = self.instalments.len() - 1;
        self.instalments
            .iter()
            .enumerate()
            .map(|(i, instalment)| {
                share += instalment.share_percent;
                if i == last {
                    value
                } else {
                    // Exact: value < 10^14, share <= 100.
                    value * share / 100
                }
            })
            .collect()
    }
}

/// The day an instalment falls due for a contract approved on `approved_on`, serving from
/// `starts_on`, in a season ending on `season_ends_on`.
pub fn due_on(
    due: Due,
    approved_on: NaiveDate,
    starts_on: NaiveDate,
    season_ends_on: NaiveDate,
) -> NaiveDate {
    match due {
        Due::Approval => approved_on,
        Due::ServiceStart => starts_on.max(approved_on),
        Due::SeasonEnd => season_ends_on.succ_opt().unwrap_or(season_ends_on),
    }
}

/// Who may hold which account: clients their wallet, commitments and guarantees; providers what
/// they received; the ministry the bank.
pub fn account_kinds(kind: super::organization::OrgKind) -> &'static [AccountKind] {
    use super::organization::OrgKind;
    match kind {
        OrgKind::HajjOffice | OrgKind::Agency => &[
            AccountKind::Wallet,
            AccountKind::Committed,
            AccountKind::Guarantees,
        ],
        OrgKind::ServiceProvider => &[AccountKind::Received],
        OrgKind::Ministry => &[AccountKind::Bank],
        OrgKind::Tawafa | OrgKind::Authority => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(parts: &[(i64, Due)]) -> Result<Schedule, Invalid> {
        Schedule::new(
            parts
                .iter()
                .map(|(share_percent, due)| Instalment {
                    share_percent: *share_percent,
                    due: *due,
                })
                .collect(),
            5,
        )
    }

    #[test]
    fn shares_add_up_to_the_value_to_the_halala() {
        let s = schedule(&[
            (33, Due::Approval),
            (33, Due::ServiceStart),
            (34, Due::SeasonEnd),
        ])
        .unwrap();
        assert_eq!(s.targets(100_001), vec![33_000, 66_000, 100_001]);
        assert_eq!(s.targets(1), vec![0, 0, 1]);
        let whole = schedule(&[(100, Due::SeasonEnd)]).unwrap();
        assert_eq!(whole.targets(5), vec![5]);
        assert_eq!(whole.guarantee(100_019), 5_000, "5%, rounded down");
    }

    #[test]
    fn refuses_schedules_that_do_not_add_up_or_run_backwards() {
        assert!(schedule(&[]).is_err());
        assert!(schedule(&[(50, Due::Approval), (40, Due::SeasonEnd)]).is_err());
        assert!(schedule(&[(50, Due::SeasonEnd), (50, Due::Approval)]).is_err());
        assert!(schedule(&[(50, Due::Approval), (50, Due::Approval)]).is_err());
        assert!(schedule(&[(0, Due::Approval), (100, Due::SeasonEnd)]).is_err());
        assert!(schedule(&[(101, Due::Approval)]).is_err());
    }

    #[test]
    fn an_instalment_is_never_due_before_approval() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let (approved, starts, ends) = (d("2027-04-10"), d("2027-04-01"), d("2027-06-30"));
        assert_eq!(due_on(Due::Approval, approved, starts, ends), approved);
        assert_eq!(due_on(Due::ServiceStart, approved, starts, ends), approved);
        assert_eq!(
            due_on(Due::SeasonEnd, approved, starts, ends),
            d("2027-07-01")
        );
    }
}
