//! Pilgrim plans and readiness (docs/domain.md section 5, rules R11 and R12): what a client's groups
//! need, night by night, route-day by route-day and meal-day by meal-day; what its approved
//! contracts cover; the gaps; and which groups are visa-eligible.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::NaiveDate;

use super::Invalid;
use super::document::Lapse;
use super::organization::string_enum;
use super::season::Place;

/// The most stays one group's itinerary can have.
pub const MAX_STAYS: usize = 20;
/// The most pilgrims one group can have.
pub const MAX_GROUP_PILGRIMS: i64 = 100_000;

/// A stay: check in on `from`, check out (and move on) on `to`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Stay {
    pub city: Place,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub from: NaiveDate,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub to: NaiveDate,
}

/// A group of pilgrims travelling together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: crate::domain::ids::GroupId,
    pub name: String,
    pub pilgrims: i64,
    pub arrival_port: Place,
    pub arrival_date: NaiveDate,
    pub departure_port: Place,
    pub departure_date: NaiveDate,
    pub stays: Vec<Stay>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Housing,
    Transport,
    Catering,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Housing => "housing",
            Category::Transport => "transport",
            Category::Catering => "catering",
        }
    }
}

/// One thing that must be covered: a city's night, a route's day or a city's meal day.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Need {
    pub category: Category,
    /// A city (`makkah`) for housing and catering, a route (`jed>makkah`) for transport. Static:
    /// a season's readiness tallies millions of needs, and none of them allocates.
    pub place: &'static str,
    pub date: NaiveDate,
}

/// `from>to`, e.g. `jed>makkah`.
pub fn route_key(from: Place, to: Place) -> &'static str {
    static ROUTES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        Place::ALL
            .iter()
            .flat_map(|from| Place::ALL.iter().map(move |to| (from, to)))
            .map(|(from, to)| &*format!("{from}>{to}").leak())
            .collect()
    });
    let index = |p: Place| Place::ALL.iter().position(|q| *q == p).unwrap_or(0);
    ROUTES[index(from) * Place::ALL.len() + index(to)]
}

impl Group {
    /// Checks the itinerary: stays in cities, each at least a night, each starting where the last
    /// ended; the arrival is the first stay's first day, the departure the last stay's last day.
    pub fn check(&self) -> Vec<(String, Invalid)> {
        let mut errors = Vec::new();
        if !(1..=MAX_GROUP_PILGRIMS).contains(&self.pilgrims) {
            errors.push(("pilgrims".to_owned(), Invalid::new("out_of_range")));
        }
        if !self.arrival_port.is_port() {
            errors.push(("arrival.port".to_owned(), Invalid::new("invalid_value")));
        }
        if !self.departure_port.is_port() {
            errors.push(("departure.port".to_owned(), Invalid::new("invalid_value")));
        }
        if self.stays.is_empty() {
            errors.push(("stays".to_owned(), Invalid::with_limit("too_short", 1)));
            return errors;
        }
        if self.stays.len() > MAX_STAYS {
            errors.push((
                "stays".to_owned(),
                Invalid::with_limit("too_many", MAX_STAYS),
            ));
            return errors;
        }
        for (i, stay) in self.stays.iter().enumerate() {
            if !stay.city.is_city() {
                errors.push((format!("stays[{i}].city"), Invalid::new("invalid_value")));
            }
            if stay.to <= stay.from {
                errors.push((format!("stays[{i}].to"), Invalid::new("before_start")));
            }
            if i > 0 && self.stays[i - 1].to != stay.from {
                errors.push((format!("stays[{i}].from"), Invalid::new("not_contiguous")));
            }
        }
        if self.stays[0].from != self.arrival_date {
            errors.push(("arrival.date".to_owned(), Invalid::new("not_first_stay")));
        }
        if self.stays[self.stays.len() - 1].to != self.departure_date {
            errors.push(("departure.date".to_owned(), Invalid::new("not_last_stay")));
        }
        errors
    }

    /// Everything the group needs, each with its pilgrims.
    pub fn needs(&self) -> Vec<Need> {
        let mut needs = Vec::new();
        for stay in &self.stays {
            let mut day = stay.from;
            while day < stay.to {
                for category in [Category::Housing, Category::Catering] {
                    needs.push(Need {
                        category,
                        place: stay.city.as_str(),
                        date: day,
                    });
                }
                day = day.succ_opt().unwrap_or(stay.to);
            }
        }
        let mut moves = Vec::new();
        if let (Some(first), Some(last)) = (self.stays.first(), self.stays.last()) {
            moves.push((self.arrival_port, first.city, first.from));
            for pair in self.stays.windows(2) {
                moves.push((pair[0].city, pair[1].city, pair[0].to));
            }
            moves.push((last.city, self.departure_port, last.to));
        }
        for (from, to, date) in moves {
            if from != to {
                needs.push(Need {
                    category: Category::Transport,
                    place: route_key(from, to),
                    date,
                });
            }
        }
        needs
    }
}

/// Units per need: what a client's groups need, or what its contracts cover.
pub type Tally = BTreeMap<Need, i64>;

/// What a set of groups needs in all.
pub fn needed(groups: &[Group]) -> Tally {
    let mut tally = Tally::new();
    for group in groups {
        for need in group.needs() {
            *tally.entry(need).or_default() += group.pilgrims;
        }
    }
    tally
}

/// What an approved contract covers. It counts unless its latest inspection failed: then it is
/// withheld until a later pass, and the gaps it leaves name that inspection.
#[derive(Clone, Debug)]
pub struct Cover {
    pub category: Category,
    /// As in [`Need::place`].
    pub place: &'static str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub units: i64,
    pub withheld_by: Option<Withheld>,
}

/// A contract withheld from coverage by its latest inspection, a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withheld {
    pub inspection_id: crate::domain::ids::InspectionId,
    pub contract_id: crate::domain::ids::ContractId,
}

impl Cover {
    fn covers(&self, need: &Need) -> bool {
        self.category == need.category
            && self.place == need.place
            && (self.starts_on..=self.ends_on).contains(&need.date)
    }
}

/// What a set of contracts covers in all (those withheld cover nothing).
pub fn covered(covers: &[Cover]) -> Tally {
    let mut tally = Tally::new();
    for cover in covers.iter().filter(|c| c.withheld_by.is_none()) {
        let mut day = cover.starts_on;
        while day <= cover.ends_on {
            *tally
                .entry(Need {
                    category: cover.category,
                    place: cover.place,
                    date: day,
                })
                .or_default() += cover.units;
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
    }
    tally
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub need: Need,
    pub needed: i64,
    pub covered: i64,
    /// Contracts that would cover this need but a failed inspection withholds, with their units.
    pub withheld: Vec<(Withheld, i64)>,
}

/// Needed against covered, per category: (needed, covered up to what is needed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CategoryCoverage {
    pub needed: i64,
    pub covered: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    pub planned: i64,
    /// Pilgrims of the client's own allocation in no group yet: their needs are unknown, so a
    /// client with any is not ready, whatever its groups' coverage.
    pub unplanned: i64,
    pub gaps: Vec<Gap>,
    pub housing: CategoryCoverage,
    pub transport: CategoryCoverage,
    pub catering: CategoryCoverage,
    pub visa_eligible: i64,
    /// Ids of the eligible groups, in the order they were walked.
    pub eligible_groups: Vec<crate::domain::ids::GroupId>,
    /// Halalas the client's wallet lacks for its contracts awaiting approval (R20): a client with
    /// any is not ready, as the ministry could not approve them all.
    pub unfunded: i64,
    /// Facility papers lapsing before the end of an approved contract relying on them (R25): a
    /// client with any is not ready.
    pub lapsing: Vec<Lapse>,
}

string_enum!(
    /// Whether a client is ready: every allocated pilgrim in a group, every need covered.
    ReadinessStatus {
        Ready = "ready",
        Incomplete = "incomplete",
    }
);

impl Readiness {
    /// Every allocated pilgrim is in a group, every need of every group is covered, and the
    /// wallet covers the contracts awaiting approval.
    pub fn ready(&self) -> bool {
        self.gaps.is_empty() && self.unplanned == 0 && self.unfunded == 0 && self.lapsing.is_empty()
    }

    pub fn status(&self) -> ReadinessStatus {
        if self.ready() {
            ReadinessStatus::Ready
        } else {
            ReadinessStatus::Incomplete
        }
    }

    /// Covered share of everything needed, 0 to 1 (1 when nothing is needed).
    pub fn ratio(&self) -> f64 {
        self.summary(0).ratio()
    }

    /// In figures, for a client holding `allocation` pilgrims itself.
    pub fn summary(&self, allocation: i64) -> Summary {
        Summary {
            allocation,
            planned: self.planned,
            unplanned: self.unplanned,
            ready: self.ready(),
            housing: self.housing,
            transport: self.transport,
            catering: self.catering,
            gaps: self.gaps.len() as i64
                + i64::from(self.unplanned > 0)
                + i64::from(self.unfunded > 0)
                + self.lapsing.len() as i64,
            visa_eligible: self.visa_eligible,
            unfunded: self.unfunded,
            lapsing: self.lapsing.len() as i64,
        }
    }
}

/// A client's readiness in figures, as the all-clients view lists it: everything but the gaps
/// themselves and the eligible groups.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The pilgrims the client holds itself (its allocation less what it passed on).
    pub allocation: i64,
    pub planned: i64,
    pub unplanned: i64,
    pub ready: bool,
    pub housing: CategoryCoverage,
    pub transport: CategoryCoverage,
    pub catering: CategoryCoverage,
    /// How many gaps the client's detail lists: each day short of coverage, the unplanned
    /// pilgrims as one, what the wallet lacks as one, and each lapsing paper.
    pub gaps: i64,
    pub visa_eligible: i64,
    /// Halalas the wallet lacks for the contracts awaiting approval.
    pub unfunded: i64,
    /// Facility papers lapsing before the end of a contract relying on them, each a gap.
    pub lapsing: i64,
}

/// The resolution of [`Summary::rank`]'s share: a billionth.
const RANK_SCALE: i64 = 1_000_000_000;

impl Summary {
    pub fn status(&self) -> ReadinessStatus {
        if self.ready {
            ReadinessStatus::Ready
        } else {
            ReadinessStatus::Incomplete
        }
    }

    /// Covered share of everything needed, 0 to 1 (1 when nothing is needed).
    pub fn ratio(&self) -> f64 {
        let needed = self.housing.needed + self.transport.needed + self.catering.needed;
        let covered = self.housing.covered + self.transport.covered + self.catering.covered;
        if needed == 0 {
            1.0
        } else {
            covered as f64 / needed as f64
        }
    }

    /// Where the client stands worst first, as one integer (lower is worse): incomplete clients
    /// before ready ones, then by the share planned times the share of the plan's needs covered (a
    /// client with nothing planned is the least ready), to a billionth.
    pub fn rank(&self) -> i64 {
        let own = self.allocation.max(1) as f64;
        let share = (self.planned as f64 / own).min(1.0) * self.ratio();
        let score = (share.clamp(0.0, 1.0) * RANK_SCALE as f64).round() as i64;
        if self.ready {
            2 * RANK_SCALE + score
        } else {
            score
        }
    }
}

/// The readiness of one client holding `allocation` pilgrims itself: every need of its groups
/// against what its counted contracts cover, and the pilgrims it has not planned yet.
pub fn assess(groups: &[Group], covers: &[Cover], allocation: i64) -> Readiness {
    let need = needed(groups);
    let cover = covered(covers);
    let mut gaps = Vec::new();
    let mut totals: BTreeMap<Category, CategoryCoverage> = BTreeMap::new();
    for (key, &n) in &need {
        let c = cover.get(key).copied().unwrap_or(0);
        let t = totals.entry(key.category).or_default();
        t.needed += n;
        t.covered += c.min(n);
        if c < n {
            let withheld = covers
                .iter()
                .filter(|cover| cover.covers(key))
                .filter_map(|cover| Some((cover.withheld_by.clone()?, cover.units)))
                .collect();
            gaps.push(Gap {
                need: key.clone(),
                needed: n,
                covered: c,
                withheld,
            });
        }
    }
    let (visa_eligible, eligible_groups) = visa_eligibility(groups, &cover);
    let total = |c| totals.get(&c).copied().unwrap_or_default();
    let planned = groups.iter().map(|g| g.pilgrims).sum();
    Readiness {
        planned,
        unplanned: (allocation - planned).max(0),
        gaps,
        housing: total(Category::Housing),
        transport: total(Category::Transport),
        catering: total(Category::Catering),
        visa_eligible,
        eligible_groups,
        unfunded: 0,
        lapsing: Vec::new(),
    }
}

/// R12: walk the groups by arrival (then name); a group is eligible when the coverage not used by
/// earlier eligible groups covers every night, route-day and meal-day of its itinerary.
pub fn visa_eligibility(
    groups: &[Group],
    coverage: &Tally,
) -> (i64, Vec<crate::domain::ids::GroupId>) {
    let mut order: Vec<&Group> = groups.iter().collect();
    order.sort_by(|a, b| (a.arrival_date, &a.name, &a.id).cmp(&(b.arrival_date, &b.name, &b.id)));
    let mut left = coverage.clone();
    let mut eligible = 0;
    let mut ids = Vec::new();
    for group in order {
        let mut wanted = Tally::new();
        for need in group.needs() {
            *wanted.entry(need).or_default() += group.pilgrims;
        }
        let fits = wanted
            .iter()
            .all(|(k, n)| left.get(k).copied().unwrap_or(0) >= *n);
        if fits {
            for (k, n) in wanted {
                if let Some(v) = left.get_mut(&k) {
                    *v -= n;
                }
            }
            eligible += group.pilgrims;
            ids.push(group.id.clone());
        }
    }
    (eligible, ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ContractId, GroupId, InspectionId};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn ids(groups: &[GroupId]) -> Vec<&str> {
        groups.iter().map(GroupId::as_str).collect()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Arrives at Jeddah on the 1st, Makkah 1st-5th, Madinah 5th-8th, leaves from Madinah on the 8th.
    fn group(id: &str, pilgrims: i64) -> Group {
        Group {
            id: GroupId::from_stored(id),
            name: format!("group {id}"),
            pilgrims,
            arrival_port: Place::Jed,
            arrival_date: d("2027-05-01"),
            departure_port: Place::Med,
            departure_date: d("2027-05-08"),
            stays: vec![
                Stay {
                    city: Place::Makkah,
                    from: d("2027-05-01"),
                    to: d("2027-05-05"),
                },
                Stay {
                    city: Place::Madinah,
                    from: d("2027-05-05"),
                    to: d("2027-05-08"),
                },
            ],
        }
    }

    fn cover(category: Category, place: &'static str, from: &str, to: &str, units: i64) -> Cover {
        Cover {
            category,
            place,
            starts_on: d(from),
            ends_on: d(to),
            units,
            withheld_by: None,
        }
    }

    /// Exactly what `group(_, n)` needs.
    fn full_cover(n: i64) -> Vec<Cover> {
        vec![
            cover(Category::Housing, "makkah", "2027-05-01", "2027-05-04", n),
            cover(Category::Housing, "madinah", "2027-05-05", "2027-05-07", n),
            cover(Category::Catering, "makkah", "2027-05-01", "2027-05-04", n),
            cover(Category::Catering, "madinah", "2027-05-05", "2027-05-07", n),
            cover(
                Category::Transport,
                "jed>makkah",
                "2027-05-01",
                "2027-05-01",
                n,
            ),
            cover(
                Category::Transport,
                "makkah>madinah",
                "2027-05-05",
                "2027-05-05",
                n,
            ),
            cover(
                Category::Transport,
                "madinah>med",
                "2027-05-08",
                "2027-05-08",
                n,
            ),
        ]
    }

    #[test]
    fn every_route_has_its_key() {
        for from in Place::ALL {
            for to in Place::ALL {
                assert_eq!(route_key(*from, *to), format!("{from}>{to}"));
            }
        }
    }

    #[test]
    fn a_group_needs_its_nights_meals_and_moves() {
        let needs = group("a", 10).needs();
        let count = |c| needs.iter().filter(|n| n.category == c).count();
        assert_eq!(
            count(Category::Housing),
            7,
            "4 nights in Makkah, 3 in Madinah"
        );
        assert_eq!(count(Category::Catering), 7);
        let moves: Vec<(String, NaiveDate)> = needs
            .iter()
            .filter(|n| n.category == Category::Transport)
            .map(|n| (n.place.to_owned(), n.date))
            .collect();
        assert_eq!(
            moves,
            [
                ("jed>makkah".to_owned(), d("2027-05-01")),
                ("makkah>madinah".to_owned(), d("2027-05-05")),
                ("madinah>med".to_owned(), d("2027-05-08"))
            ]
        );
        assert!(group("a", 10).check().is_empty());
    }

    #[test]
    fn fully_covered_is_ready_and_eligible() {
        let r = assess(&[group("a", 10)], &full_cover(10), 10);
        assert!(r.ready(), "{:?}", r.gaps);
        assert_eq!(r.visa_eligible, 10);
        assert_eq!(
            r.housing,
            CategoryCoverage {
                needed: 70,
                covered: 70
            }
        );
        assert_eq!(r.ratio(), 1.0);
    }

    #[test]
    fn unplanned_pilgrims_keep_a_covered_client_from_being_ready() {
        let r = assess(&[group("a", 10)], &full_cover(10), 9_000);
        assert!(r.gaps.is_empty());
        assert_eq!(r.unplanned, 8_990);
        assert!(!r.ready());
        // Nothing planned at all is the least ready of all, not ready by default.
        let r = assess(&[], &[], 150);
        assert!(!r.ready() && r.unplanned == 150);
        // More planned than allocated leaves nothing unplanned.
        assert_eq!(assess(&[group("a", 10)], &full_cover(10), 5).unplanned, 0);
    }

    #[test]
    fn a_gap_left_by_a_failed_inspection_names_it() {
        let mut covers = full_cover(10);
        let withheld = Withheld {
            inspection_id: InspectionId::from_stored("inspection-1"),
            contract_id: ContractId::from_stored("contract-1"),
        };
        covers[0].withheld_by = Some(withheld.clone());
        let r = assess(&[group("a", 10)], &covers, 10);
        // Each of the contract's four nights is a gap, naming the inspection that withholds it.
        assert_eq!(r.gaps.len(), 4);
        for gap in &r.gaps {
            assert_eq!(
                (gap.need.category, gap.need.place),
                (Category::Housing, "makkah")
            );
            assert_eq!((gap.needed, gap.covered), (10, 0));
            assert_eq!(gap.withheld, vec![(withheld.clone(), 10)]);
        }
        // Other gaps name nothing.
        covers[0].withheld_by = None;
        covers[1].units = 4;
        let r = assess(&[group("a", 10)], &covers, 10);
        assert!(r.gaps.iter().all(|g| g.withheld.is_empty()));
    }

    #[test]
    fn one_missing_night_route_day_or_meal_day_is_one_gap() {
        for (drop, category, place, date) in [
            (0, Category::Housing, "makkah", "2027-05-04"),
            (5, Category::Transport, "makkah>madinah", "2027-05-05"),
            (3, Category::Catering, "madinah", "2027-05-07"),
        ] {
            let mut covers = full_cover(10);
            // Shorten one contract by its last day (or remove the one-day route).
            if covers[drop].starts_on == covers[drop].ends_on {
                covers.remove(drop);
            } else {
                covers[drop].ends_on = covers[drop].ends_on.pred_opt().unwrap();
            }
            let r = assess(&[group("a", 10)], &covers, 10);
            assert_eq!(r.gaps.len(), 1, "{category:?}: {:?}", r.gaps);
            let gap = &r.gaps[0];
            assert_eq!(
                (gap.need.category, gap.need.place, gap.need.date),
                (category, place, d(date))
            );
            assert_eq!((gap.needed, gap.covered), (10, 0));
            assert_eq!(
                r.visa_eligible, 0,
                "one missing day is enough to refuse the visa"
            );
        }
    }

    #[test]
    fn partly_covered_group_shows_the_shortfall() {
        let mut covers = full_cover(10);
        covers[0].units = 6;
        let r = assess(&[group("a", 10)], &covers, 10);
        assert_eq!(r.gaps.len(), 4);
        assert!(r.gaps.iter().all(|g| g.needed == 10 && g.covered == 6));
        assert_eq!(
            r.housing,
            CategoryCoverage {
                needed: 70,
                covered: 4 * 6 + 3 * 10
            }
        );
    }

    #[test]
    fn groups_share_coverage_in_arrival_order() {
        // Coverage for 15: the earlier arrival (10) is eligible, the later one (10) is not; a small
        // group arriving last still fits in what is left.
        let mut early = group("early", 10);
        early.name = "zeta".into();
        let mut late = group("late", 10);
        late.name = "alpha".into();
        late.arrival_date = d("2027-05-02");
        late.stays[0].from = d("2027-05-02");
        let covers = [
            full_cover(15),
            vec![cover(
                Category::Transport,
                "jed>makkah",
                "2027-05-02",
                "2027-05-02",
                15,
            )],
        ]
        .concat();
        let small = Group {
            id: GroupId::from_stored("small"),
            name: "small".into(),
            pilgrims: 5,
            ..late.clone()
        };
        let r = assess(&[late.clone(), early.clone(), small], &covers, 0);
        assert_eq!(ids(&r.eligible_groups), ["early", "small"]);
        assert_eq!(r.visa_eligible, 15);
        // Same arrival day: the name decides.
        let mut a = group("1", 10);
        a.name = "b".into();
        let mut b = group("2", 10);
        b.name = "a".into();
        assert_eq!(
            ids(&visa_eligibility(&[a, b], &covered(&full_cover(10))).1),
            ["2"]
        );
    }

    #[test]
    fn itineraries_are_checked() {
        let mut g = group("a", 10);
        g.stays[1].from = d("2027-05-06");
        g.departure_date = d("2027-05-09");
        g.arrival_port = Place::Makkah;
        let fields: Vec<String> = g.check().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["arrival.port", "stays[1].from", "departure.date"]);
        let mut g = group("a", 0);
        g.stays.clear();
        assert_eq!(g.check().len(), 2);
    }

    fn random_plan(rng: &mut StdRng) -> (Vec<Group>, Vec<Cover>) {
        let cities = [Place::Makkah, Place::Madinah, Place::Mashaer];
        let groups = (0..rng.random_range(1..6))
            .map(|i| {
                let mut day = d("2027-05-01") + chrono::Days::new(rng.random_range(0..5));
                let arrival = day;
                let stays = (0..rng.random_range(1..4))
                    .map(|_| {
                        let to = day + chrono::Days::new(rng.random_range(1..4));
                        let s = Stay {
                            city: cities[rng.random_range(0..3)],
                            from: day,
                            to,
                        };
                        day = to;
                        s
                    })
                    .collect::<Vec<_>>();
                Group {
                    id: GroupId::from_stored(&i.to_string()),
                    name: format!("g{i}"),
                    pilgrims: rng.random_range(1..50),
                    arrival_port: Place::Jed,
                    arrival_date: arrival,
                    departure_port: Place::Med,
                    departure_date: day,
                    stays,
                }
            })
            .collect::<Vec<_>>();
        let places = [
            "makkah",
            "madinah",
            "mashaer",
            "jed>makkah",
            "makkah>madinah",
            "madinah>med",
            "mashaer>makkah",
        ];
        let covers = (0..rng.random_range(0..12))
            .map(|_| {
                let from = d("2027-05-01") + chrono::Days::new(rng.random_range(0..10));
                let place = places[rng.random_range(0..places.len())];
                let category = if place.contains('>') {
                    Category::Transport
                } else if rng.random_bool(0.5) {
                    Category::Housing
                } else {
                    Category::Catering
                };
                Cover {
                    category,
                    place,
                    starts_on: from,
                    ends_on: from + chrono::Days::new(rng.random_range(0..6)),
                    units: rng.random_range(1..80),
                    withheld_by: None,
                }
            })
            .collect();
        (groups, covers)
    }

    #[test]
    fn property_coverage_is_never_counted_twice() {
        let mut rng = StdRng::seed_from_u64(1447);
        for _ in 0..500 {
            let (groups, covers) = random_plan(&mut rng);
            let cover = covered(&covers);
            let (eligible, ids) = visa_eligibility(&groups, &cover);
            // The eligible groups together never need more than the coverage on any key.
            let chosen: Vec<Group> = groups
                .iter()
                .filter(|g| ids.contains(&g.id))
                .cloned()
                .collect();
            for (key, n) in needed(&chosen) {
                assert!(n <= cover.get(&key).copied().unwrap_or(0), "{key:?}");
            }
            assert_eq!(eligible, chosen.iter().map(|g| g.pilgrims).sum::<i64>());
            let planned = groups.iter().map(|g| g.pilgrims).sum();
            let r = assess(&groups, &covers, planned);
            assert!(
                r.housing.covered <= r.housing.needed && r.catering.covered <= r.catering.needed
            );
            assert_eq!(r.ready(), r.gaps.is_empty());
            if r.ready() {
                assert_eq!(
                    r.visa_eligible, r.planned,
                    "a ready client's pilgrims are all eligible"
                );
            }
        }
    }

    /// R12 serves groups in arrival order, so more coverage can make an earlier, larger group
    /// eligible and leave less for later ones: the total is not monotonic. What is: walking both
    /// ways in the same order, the first group decided differently is one that more coverage makes
    /// eligible, never one it makes ineligible; and a group alone only gains from more coverage.
    #[test]
    fn property_eligibility_is_monotonic_in_coverage() {
        let mut rng = StdRng::seed_from_u64(1448);
        for _ in 0..500 {
            let (mut groups, covers) = random_plan(&mut rng);
            let more = [covers.clone(), random_plan(&mut rng).1].concat();
            let (less_cover, more_cover) = (covered(&covers), covered(&more));
            groups.sort_by(|a, b| {
                (a.arrival_date, &a.name, &a.id).cmp(&(b.arrival_date, &b.name, &b.id))
            });
            let before = visa_eligibility(&groups, &less_cover).1;
            let after = visa_eligibility(&groups, &more_cover).1;
            if let Some(first) = groups
                .iter()
                .find(|g| before.contains(&g.id) != after.contains(&g.id))
            {
                assert!(
                    after.contains(&first.id),
                    "more coverage took eligibility from {}",
                    first.id
                );
            }
            for g in &groups {
                let alone = |c: &Tally| visa_eligibility(std::slice::from_ref(g), c).0;
                assert!(alone(&more_cover) >= alone(&less_cover));
            }
            // Covering exactly everything makes everyone eligible.
            let everything: Vec<Cover> = needed(&groups)
                .iter()
                .map(|(k, n)| Cover {
                    category: k.category,
                    place: k.place,
                    starts_on: k.date,
                    ends_on: k.date,
                    units: *n,
                    withheld_by: None,
                })
                .collect();
            let full = visa_eligibility(&groups, &covered(&everything));
            assert_eq!(full.0, groups.iter().map(|g| g.pilgrims).sum::<i64>());
        }
    }
}

/// An inspection of an approved contract's facility (docs/domain.md section 6).
#[derive(Clone, Debug)]
pub struct Inspection {
    pub id: crate::domain::ids::InspectionId,
    pub contract_id: crate::domain::ids::ContractId,
    pub facility_id: crate::domain::ids::FacilityId,
    pub inspected_on: NaiveDate,
    pub passed: bool,
    pub findings: String,
    /// The inspecting organisation.
    pub organization_id: crate::domain::ids::OrganizationId,
    pub created_at: chrono::NaiveDateTime,
}
