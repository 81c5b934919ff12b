//! Contracts: the lifecycle (one pure state machine), terms, and the per-day loads that capacity and
//! allocation hold (docs/domain.md section 4, rules R4-R7).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::Invalid;
use super::ids::{AmendmentId, ContractId, FacilityId, OrganizationId, SeasonId};
use super::money::Money;
use super::organization::string_enum;
use super::season::{ContractType, Place};

string_enum!(
    /// Where a contract stands.
    ContractStatus {
        Draft = "draft",
        PendingProvider = "pending_provider",
        PendingReview = "pending_review",
        Approved = "approved",
        Returned = "returned",
        Declined = "declined",
        Rejected = "rejected",
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// What a party does to a contract (or to an amendment).
    Action {
        Submit = "submit",
        Accept = "accept",
        Decline = "decline",
        Approve = "approve",
        Return = "return",
        Reject = "reject",
        Cancel = "cancel",
    }
);

/// The part an organisation plays in one contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    Client,
    Provider,
    Ministry,
}

impl ContractStatus {
    /// Pending and approved contracts hold the facility's capacity and the client's allocation.
    pub fn holds(self) -> bool {
        matches!(
            self,
            ContractStatus::PendingProvider
                | ContractStatus::PendingReview
                | ContractStatus::Approved
        )
    }

    /// The statuses of a contract submitted and not decided yet (see
    /// [`ContractStatus::awaits_approval`]).
    pub const AWAITING_APPROVAL: [ContractStatus; 2] = [
        ContractStatus::PendingProvider,
        ContractStatus::PendingReview,
    ];

    /// Submitted and not decided yet: its approval would commit its value from the client's
    /// wallet (R20).
    pub fn awaits_approval(self) -> bool {
        ContractStatus::AWAITING_APPROVAL.contains(&self)
    }

    /// Only the client edits, and only a draft or a returned contract (R5).
    pub fn editable(self) -> bool {
        matches!(self, ContractStatus::Draft | ContractStatus::Returned)
    }
}

impl Action {
    /// Declining, returning, rejecting and cancelling must say why.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::Decline | Action::Return | Action::Reject | Action::Cancel
        )
    }
}

/// What happens to held capacity and allocation when a contract moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holding {
    Take,
    Release,
    Keep,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    pub to: ContractStatus,
    pub holding: Holding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransitionError {
    /// This party never takes this action: 403.
    NotYourAction,
    /// This party may take the action, but not from this state: 409 `invalid_transition`.
    InvalidTransition,
}

/// The only legal transitions (docs/domain.md section 4).
const LIFECYCLE: &[(ContractStatus, Action, Party, ContractStatus)] = {
    use Action as A;
    use ContractStatus as S;
    use Party as P;
    &[
        (S::Draft, A::Submit, P::Client, S::PendingProvider),
        (S::Returned, A::Submit, P::Client, S::PendingProvider),
        (S::PendingProvider, A::Accept, P::Provider, S::PendingReview),
        (S::PendingProvider, A::Decline, P::Provider, S::Declined),
        (S::PendingReview, A::Approve, P::Ministry, S::Approved),
        (S::PendingReview, A::Return, P::Ministry, S::Returned),
        (S::PendingReview, A::Reject, P::Ministry, S::Rejected),
        (S::Draft, A::Cancel, P::Client, S::Cancelled),
        (S::PendingProvider, A::Cancel, P::Client, S::Cancelled),
        (S::PendingReview, A::Cancel, P::Client, S::Cancelled),
        (S::Returned, A::Cancel, P::Client, S::Cancelled),
        (S::Approved, A::Cancel, P::Ministry, S::Cancelled),
    ]
};

/// What `party` may do to a contract in `from`, in the lifecycle's order.
pub fn allowed_actions(from: ContractStatus, party: Party) -> Vec<Action> {
    LIFECYCLE
        .iter()
        .filter(|(f, _, p, _)| *f == from && *p == party)
        .map(|(_, a, _, _)| *a)
        .collect()
}

/// What `party` may do to an amendment in `from`.
pub fn allowed_amendment_actions(from: AmendmentStatus, party: Party) -> Vec<Action> {
    AMENDMENT_LIFECYCLE
        .iter()
        .filter(|(f, _, p, _)| *f == from && *p == party)
        .map(|(_, a, _, _)| *a)
        .collect()
}

/// Where `action` by `party` takes a contract in `from`, and what it does to held capacity.
pub fn transition(
    from: ContractStatus,
    action: Action,
    party: Party,
) -> Result<Transition, TransitionError> {
    if !LIFECYCLE
        .iter()
        .any(|(_, a, p, _)| *a == action && *p == party)
    {
        return Err(TransitionError::NotYourAction);
    }
    let to = LIFECYCLE
        .iter()
        .find(|(f, a, p, _)| *f == from && *a == action && *p == party)
        .map(|(_, _, _, to)| *to)
        .ok_or(TransitionError::InvalidTransition)?;
    let holding = match (from.holds(), to.holds()) {
        (false, true) => Holding::Take,
        (true, false) => Holding::Release,
        _ => Holding::Keep,
    };
    Ok(Transition { to, holding })
}

string_enum!(
    /// Where an amendment of an approved contract stands (R6).
    AmendmentStatus {
        PendingProvider = "pending_provider",
        PendingReview = "pending_review",
        Approved = "approved",
        Declined = "declined",
        Rejected = "rejected",
    }
);

const AMENDMENT_LIFECYCLE: &[(AmendmentStatus, Action, Party, AmendmentStatus)] = {
    use Action as A;
    use AmendmentStatus as S;
    use Party as P;
    &[
        (S::PendingProvider, A::Accept, P::Provider, S::PendingReview),
        (S::PendingProvider, A::Decline, P::Provider, S::Declined),
        (S::PendingReview, A::Approve, P::Ministry, S::Approved),
        (S::PendingReview, A::Reject, P::Ministry, S::Rejected),
    ]
};

impl AmendmentStatus {
    /// The statuses of an amendment still awaiting a decision (a contract has at most one).
    pub const OPEN: [AmendmentStatus; 2] = [
        AmendmentStatus::PendingProvider,
        AmendmentStatus::PendingReview,
    ];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

/// Where `action` by `party` takes an amendment.
pub fn amendment_transition(
    from: AmendmentStatus,
    action: Action,
    party: Party,
) -> Result<AmendmentStatus, TransitionError> {
    if !AMENDMENT_LIFECYCLE
        .iter()
        .any(|(_, a, p, _)| *a == action && *p == party)
    {
        return Err(TransitionError::NotYourAction);
    }
    AMENDMENT_LIFECYCLE
        .iter()
        .find(|(f, a, p, _)| *f == from && *a == action && *p == party)
        .map(|(_, _, _, to)| *to)
        .ok_or(TransitionError::InvalidTransition)
}

/// The most units (beds, seats, pilgrims) one contract can name.
pub const MAX_UNITS: i64 = 1_000_000;
/// The longest span one contract can cover.
pub const MAX_DAYS: i64 = 366;

/// What a contract buys, by type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terms {
    Housing { beds: i64 },
    Transport { from: Place, to: Place, seats: i64 },
    Catering { pilgrims: i64, meals_per_day: i64 },
}

impl Terms {
    /// The type-specific columns as stored: (route from, route to, meals per day).
    pub fn columns(&self) -> (Option<Place>, Option<Place>, Option<i64>) {
        match *self {
            Terms::Transport { from, to, .. } => (Some(from), Some(to), None),
            Terms::Catering { meals_per_day, .. } => (None, None, Some(meals_per_day)),
            Terms::Housing { .. } => (None, None, None),
        }
    }

    pub fn contract_type(&self) -> ContractType {
        match self {
            Terms::Housing { .. } => ContractType::Housing,
            Terms::Transport { .. } => ContractType::Transport,
            Terms::Catering { .. } => ContractType::Catering,
        }
    }

    /// Units held on the facility each day: beds per night, seats per day, pilgrims per day.
    pub fn units(&self) -> i64 {
        match *self {
            Terms::Housing { beds } => beds,
            Terms::Transport { seats, .. } => seats,
            Terms::Catering { pilgrims, .. } => pilgrims,
        }
    }

    /// The part of the client's allocation this counts against (R7): all housing together, all
    /// catering together, and each transport route on its own.
    pub fn allocation_key(&self) -> String {
        match self {
            Terms::Housing { .. } => "housing".to_owned(),
            Terms::Catering { .. } => "catering".to_owned(),
            Terms::Transport { from, to, .. } => format!("transport:{from}>{to}"),
        }
    }

    /// Checks the numbers: units 1 to a million, one to three meals, a route between two places.
    pub fn check(&self) -> Vec<(&'static str, Invalid)> {
        let mut errors = Vec::new();
        let (field, units) = match self {
            Terms::Housing { beds } => ("beds", *beds),
            Terms::Transport { seats, .. } => ("seats", *seats),
            Terms::Catering { pilgrims, .. } => ("pilgrims", *pilgrims),
        };
        if !(1..=MAX_UNITS).contains(&units) {
            errors.push((field, Invalid::new("out_of_range")));
        }
        match self {
            Terms::Catering { meals_per_day, .. } if !(1..=3).contains(meals_per_day) => {
                errors.push(("meals_per_day", Invalid::new("out_of_range")))
            }
            Terms::Transport { from, to, .. } if from == to => {
                errors.push(("route", Invalid::new("same_place")))
            }
            _ => {}
        }
        errors
    }
}

/// Terms as a request gives them: each type's fields, any of them missing. Read against a contract
/// type (and, for an edit or amendment, the current terms, which fill what is not sent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TermsPatch {
    pub beds: Option<i64>,
    pub route: Option<(Place, Place)>,
    pub seats: Option<i64>,
    pub pilgrims: Option<i64>,
    pub meals_per_day: Option<i64>,
}

impl TermsPatch {
    /// The terms of `contract_type`, starting from `current` where a field is not given. Every
    /// refused field is named: those of another type, those missing, and numbers out of range.
    pub fn terms(
        &self,
        contract_type: ContractType,
        current: Option<Terms>,
    ) -> Result<Terms, Vec<(&'static str, Invalid)>> {
        let mut errors = Vec::new();
        let mut foreign = |field: &'static str, present: bool| {
            if present {
                errors.push((field, Invalid::new("not_for_type")));
            }
        };
        let terms = match contract_type {
            ContractType::Housing => {
                foreign("route", self.route.is_some());
                foreign("seats", self.seats.is_some());
                foreign("pilgrims", self.pilgrims.is_some());
                foreign("meals_per_day", self.meals_per_day.is_some());
                let current = match current {
                    Some(Terms::Housing { beds }) => Some(beds),
                    _ => None,
                };
                let beds = self.beds.or(current);
                if beds.is_none() {
                    errors.push(("beds", Invalid::new("required")));
                }
                beds.map(|beds| Terms::Housing { beds })
            }
            ContractType::Transport => {
                foreign("beds", self.beds.is_some());
                foreign("pilgrims", self.pilgrims.is_some());
                foreign("meals_per_day", self.meals_per_day.is_some());
                let (route, seats) = match current {
                    Some(Terms::Transport { from, to, seats }) => (Some((from, to)), Some(seats)),
                    _ => (None, None),
                };
                match (self.route.or(route), self.seats.or(seats)) {
                    (Some((from, to)), Some(seats)) => Some(Terms::Transport { from, to, seats }),
                    (r, s) => {
                        if r.is_none() {
                            errors.push(("route", Invalid::new("required")));
                        }
                        if s.is_none() {
                            errors.push(("seats", Invalid::new("required")));
                        }
                        None
                    }
                }
            }
            ContractType::Catering => {
                foreign("beds", self.beds.is_some());
                foreign("route", self.route.is_some());
                foreign("seats", self.seats.is_some());
                let (pilgrims, meals) = match current {
                    Some(Terms::Catering {
                        pilgrims,
                        meals_per_day,
                    }) => (Some(pilgrims), Some(meals_per_day)),
                    _ => (None, None),
                };
                match (self.pilgrims.or(pilgrims), self.meals_per_day.or(meals)) {
                    (Some(pilgrims), Some(meals_per_day)) => Some(Terms::Catering {
                        pilgrims,
                        meals_per_day,
                    }),
                    (p, m) => {
                        if p.is_none() {
                            errors.push(("pilgrims", Invalid::new("required")));
                        }
                        if m.is_none() {
                            errors.push(("meals_per_day", Invalid::new("required")));
                        }
                        None
                    }
                }
            }
        };
        if let Some(t) = &terms {
            errors.extend(t.check());
        }
        match terms {
            Some(terms) if errors.is_empty() => Ok(terms),
            _ => Err(errors),
        }
    }
}

/// A booking's terms as fields, each present only for its type.
impl From<Terms> for TermsPatch {
    fn from(terms: Terms) -> TermsPatch {
        match terms {
            Terms::Housing { beds } => TermsPatch {
                beds: Some(beds),
                ..TermsPatch::default()
            },
            Terms::Transport { from, to, seats } => TermsPatch {
                route: Some((from, to)),
                seats: Some(seats),
                ..TermsPatch::default()
            },
            Terms::Catering {
                pilgrims,
                meals_per_day,
            } => TermsPatch {
                pilgrims: Some(pilgrims),
                meals_per_day: Some(meals_per_day),
                ..TermsPatch::default()
            },
        }
    }
}

/// A price as agreed: per unit (bed-night, seat-day or meal), and the total the server computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    pub unit: Money,
    pub total: Money,
}

/// The currency of every price.
pub const CURRENCY: &str = "SAR";

/// A contract as the portal knows it.
#[derive(Clone, Debug)]
pub struct Contract {
    pub id: ContractId,
    pub season_id: SeasonId,
    pub status: ContractStatus,
    pub client_id: OrganizationId,
    pub client_country: String,
    pub provider_id: OrganizationId,
    pub facility_id: FacilityId,
    pub booking: Booking,
    /// `None` where the reader may not see prices.
    pub price: Option<Price>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Why it is in its status: the reason given with the step that put it there (a return,
    /// a rejection, a decline, a cancellation), if one was.
    pub status_reason: Option<String>,
}

/// New terms proposed for an approved contract (R6).
#[derive(Clone, Debug)]
pub struct Amendment {
    pub id: AmendmentId,
    pub contract_id: ContractId,
    pub status: AmendmentStatus,
    pub reason: String,
    pub booking: Booking,
    /// `None` where the reader may not see prices.
    pub price: Option<Price>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Terms over an inclusive range of days (nights, meal days or service days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Booking {
    pub terms: Terms,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Per-day units: what a booking holds, keyed by (allocation key, day).
pub type Load = BTreeMap<(String, NaiveDate), i64>;

impl Booking {
    /// Checks the range: starts on or before it ends, at most a year.
    pub fn check_dates(&self) -> Option<(&'static str, Invalid)> {
        if self.ends_on < self.starts_on {
            return Some(("ends_on", Invalid::new("before_start")));
        }
        if self.day_count() > MAX_DAYS {
            return Some((
                "ends_on",
                Invalid::with_limit("span_too_long", MAX_DAYS as usize),
            ));
        }
        None
    }

    pub fn day_count(&self) -> i64 {
        (self.ends_on - self.starts_on).num_days() + 1
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let start = self.starts_on;
        (0..self.day_count().max(0)).map(move |i| start + chrono::Days::new(i as u64))
    }

    /// The priced quantity: units times days, times meals for catering.
    pub fn quantity(&self) -> i64 {
        let meals = match self.terms {
            Terms::Catering { meals_per_day, .. } => meals_per_day,
            _ => 1,
        };
        self.terms.units() * self.day_count() * meals
    }

    /// What the booking holds, day by day.
    pub fn load(&self) -> Load {
        let key = self.terms.allocation_key();
        self.days()
            .map(|d| ((key.clone(), d), self.terms.units()))
            .collect()
    }
}

/// What `to` holds beyond `from`, day by day (the positive part of `to - from`).
pub fn increase(from: &Load, to: &Load) -> Load {
    to.iter()
        .filter_map(|(k, v)| {
            let extra = v - from.get(k).copied().unwrap_or(0);
            (extra > 0).then(|| (k.clone(), extra))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContractStatus as S;

    const PARTIES: [Party; 3] = [Party::Client, Party::Provider, Party::Ministry];

    #[test]
    fn every_state_action_and_party() {
        let mut legal = 0;
        for from in S::ALL {
            for action in Action::ALL {
                for party in PARTIES {
                    let listed = LIFECYCLE
                        .iter()
                        .find(|(f, a, p, _)| f == from && a == action && *p == party);
                    let result = transition(*from, *action, party);
                    match listed {
                        Some((_, _, _, to)) => {
                            legal += 1;
                            assert_eq!(result.unwrap().to, *to);
                        }
                        None => {
                            let may_ever = LIFECYCLE
                                .iter()
                                .any(|(_, a, p, _)| a == action && *p == party);
                            let expected = if may_ever {
                                TransitionError::InvalidTransition
                            } else {
                                TransitionError::NotYourAction
                            };
                            assert_eq!(result, Err(expected), "{from} {action} {party:?}");
                        }
                    }
                }
            }
        }
        assert_eq!(legal, 12);
    }

    #[test]
    fn the_diagram() {
        let go = |from, action, party| transition(from, action, party).map(|t| t.to);
        assert_eq!(
            go(S::Draft, Action::Submit, Party::Client),
            Ok(S::PendingProvider)
        );
        assert_eq!(
            go(S::PendingProvider, Action::Accept, Party::Provider),
            Ok(S::PendingReview)
        );
        assert_eq!(
            go(S::PendingReview, Action::Approve, Party::Ministry),
            Ok(S::Approved)
        );
        assert_eq!(
            go(S::PendingReview, Action::Return, Party::Ministry),
            Ok(S::Returned)
        );
        assert_eq!(
            go(S::Returned, Action::Submit, Party::Client),
            Ok(S::PendingProvider)
        );
        assert_eq!(
            go(S::Approved, Action::Cancel, Party::Ministry),
            Ok(S::Cancelled)
        );
        assert_eq!(
            go(S::Approved, Action::Cancel, Party::Client),
            Err(TransitionError::InvalidTransition)
        );
        assert_eq!(
            go(S::PendingReview, Action::Approve, Party::Provider),
            Err(TransitionError::NotYourAction)
        );
        assert_eq!(
            go(S::Draft, Action::Approve, Party::Ministry),
            Err(TransitionError::InvalidTransition)
        );
        for terminal in [S::Declined, S::Rejected, S::Cancelled] {
            for action in Action::ALL {
                for party in PARTIES {
                    assert!(
                        transition(terminal, *action, party).is_err(),
                        "{terminal} is final"
                    );
                }
            }
        }
    }

    #[test]
    fn capacity_is_taken_on_submit_and_released_on_the_way_out() {
        let holding = |from, action, party| transition(from, action, party).unwrap().holding;
        assert_eq!(
            holding(S::Draft, Action::Submit, Party::Client),
            Holding::Take
        );
        assert_eq!(
            holding(S::Returned, Action::Submit, Party::Client),
            Holding::Take
        );
        assert_eq!(
            holding(S::PendingProvider, Action::Accept, Party::Provider),
            Holding::Keep
        );
        assert_eq!(
            holding(S::PendingReview, Action::Approve, Party::Ministry),
            Holding::Keep
        );
        assert_eq!(
            holding(S::PendingProvider, Action::Decline, Party::Provider),
            Holding::Release
        );
        assert_eq!(
            holding(S::PendingReview, Action::Return, Party::Ministry),
            Holding::Release
        );
        assert_eq!(
            holding(S::PendingReview, Action::Reject, Party::Ministry),
            Holding::Release
        );
        assert_eq!(
            holding(S::Approved, Action::Cancel, Party::Ministry),
            Holding::Release
        );
        assert_eq!(
            holding(S::Draft, Action::Cancel, Party::Client),
            Holding::Keep
        );
        // Whatever path a contract takes, it holds exactly when its state says so.
        for (from, action, party, to) in LIFECYCLE {
            let t = transition(*from, *action, *party).unwrap();
            let held_after = match t.holding {
                Holding::Take => true,
                Holding::Release => false,
                Holding::Keep => from.holds(),
            };
            assert_eq!(held_after, to.holds(), "{from} -> {to}");
        }
    }

    #[test]
    fn amendments_follow_their_own_short_lifecycle() {
        use AmendmentStatus as A;
        assert_eq!(
            amendment_transition(A::PendingProvider, Action::Accept, Party::Provider),
            Ok(A::PendingReview)
        );
        assert_eq!(
            amendment_transition(A::PendingReview, Action::Approve, Party::Ministry),
            Ok(A::Approved)
        );
        assert_eq!(
            amendment_transition(A::PendingReview, Action::Reject, Party::Ministry),
            Ok(A::Rejected)
        );
        assert_eq!(
            amendment_transition(A::PendingProvider, Action::Decline, Party::Provider),
            Ok(A::Declined)
        );
        assert_eq!(
            amendment_transition(A::PendingProvider, Action::Approve, Party::Ministry),
            Err(TransitionError::InvalidTransition)
        );
        assert_eq!(
            amendment_transition(A::PendingReview, Action::Approve, Party::Client),
            Err(TransitionError::NotYourAction)
        );
        assert!(!A::Approved.is_open() && A::PendingReview.is_open());
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn loads_quantities_and_increases() {
        let housing = Booking {
            terms: Terms::Housing { beds: 40 },
            starts_on: day("2026-05-20"),
            ends_on: day("2026-05-22"),
        };
        assert_eq!(housing.day_count(), 3);
        assert_eq!(housing.quantity(), 120);
        assert_eq!(housing.load().len(), 3);
        let catering = Booking {
            terms: Terms::Catering {
                pilgrims: 10,
                meals_per_day: 3,
            },
            ..housing
        };
        assert_eq!(catering.quantity(), 90);
        let route = Terms::Transport {
            from: Place::Jed,
            to: Place::Makkah,
            seats: 5,
        };
        assert_eq!(route.allocation_key(), "transport:jed>makkah");

        // An amendment from 40 beds on 20-22 May to 50 beds on 21-23 May holds 10 more on 21-22
        // and 50 on the 23rd; approving it gives back the 40 of the 20th.
        let amended = Booking {
            terms: Terms::Housing { beds: 50 },
            starts_on: day("2026-05-21"),
            ends_on: day("2026-05-23"),
        };
        let up = increase(&housing.load(), &amended.load());
        let down = increase(&amended.load(), &housing.load());
        let key = |d: &str| ("housing".to_owned(), day(d));
        assert_eq!(
            up,
            [
                (key("2026-05-21"), 10),
                (key("2026-05-22"), 10),
                (key("2026-05-23"), 50)
            ]
            .into()
        );
        assert_eq!(down, [(key("2026-05-20"), 40)].into());
    }

    #[test]
    fn terms_and_dates_are_checked() {
        assert!(
            Terms::Housing { beds: 0 }
                .check()
                .iter()
                .any(|(f, _)| *f == "beds")
        );
        assert!(
            Terms::Catering {
                pilgrims: 5,
                meals_per_day: 4
            }
            .check()
            .iter()
            .any(|(f, _)| *f == "meals_per_day")
        );
        assert!(
            Terms::Transport {
                from: Place::Jed,
                to: Place::Jed,
                seats: 5
            }
            .check()
            .iter()
            .any(|(f, _)| *f == "route")
        );
        assert!(Terms::Housing { beds: 1 }.check().is_empty());
        let backwards = Booking {
            terms: Terms::Housing { beds: 1 },
            starts_on: day("2026-05-22"),
            ends_on: day("2026-05-20"),
        };
        assert_eq!(backwards.check_dates().unwrap().1.code, "before_start");
        let long = Booking {
            ends_on: day("2027-06-01"),
            ..backwards
        };
        assert_eq!(long.check_dates().unwrap().1.code, "span_too_long");
    }
}
