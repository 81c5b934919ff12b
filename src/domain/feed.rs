//! The change feed (docs/domain.md section 10): what happened, in the order it was committed, for
//! partner systems to follow with a cursor.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::contract::Action;
use super::organization::string_enum;

string_enum!(
    /// What happened: a contract's or an amendment's step, an inspection, a client's readiness, a
    /// deadline extension, a deadline reminder.
    EventType {
        ContractCreated = "contract.created",
        ContractEdited = "contract.edited",
        ContractSubmitted = "contract.submitted",
        ContractAccepted = "contract.accepted",
        ContractDeclined = "contract.declined",
        ContractApproved = "contract.approved",
        ContractReturned = "contract.returned",
        ContractRejected = "contract.rejected",
        ContractCancelled = "contract.cancelled",
        AmendmentProposed = "amendment.proposed",
        AmendmentAccepted = "amendment.accepted",
        AmendmentDeclined = "amendment.declined",
        AmendmentApproved = "amendment.approved",
        AmendmentRejected = "amendment.rejected",
        InspectionRecorded = "inspection.recorded",
        ReadinessChanged = "readiness.changed",
        ExtensionGranted = "extension.granted",
        ReminderSent = "reminder.sent",
    }
);

string_enum!(
    /// The kind of record an event is about; with its id it names what to read back.
    RecordType {
        Contract = "contract",
        Amendment = "amendment",
        Inspection = "inspection",
        Readiness = "readiness",
        Extension = "extension",
        Notification = "notification",
    }
);

impl EventType {
    /// The event of a contract's step: `create`, `edit` or a lifecycle action.
    pub fn of_contract_step(step: &str) -> Option<EventType> {
        Some(match step {
            "create" => EventType::ContractCreated,
            "edit" => EventType::ContractEdited,
            _ => match Action::parse(step)? {
                Action::Submit => EventType::ContractSubmitted,
                Action::Accept => EventType::ContractAccepted,
                Action::Decline => EventType::ContractDeclined,
                Action::Approve => EventType::ContractApproved,
                Action::Return => EventType::ContractReturned,
                Action::Reject => EventType::ContractRejected,
                Action::Cancel => EventType::ContractCancelled,
            },
        })
    }

    /// The event of an amendment's step: `amend` or one of its decisions.
    pub fn of_amendment_step(step: &str) -> Option<EventType> {
        Some(match step {
            "amend" => EventType::AmendmentProposed,
            _ => match Action::parse(step)? {
                Action::Accept => EventType::AmendmentAccepted,
                Action::Decline => EventType::AmendmentDeclined,
                Action::Approve => EventType::AmendmentApproved,
                Action::Reject => EventType::AmendmentRejected,
                Action::Submit | Action::Return | Action::Cancel => return None,
            },
        })
    }
}

/// Where a reader of the feed stands: after the event of transaction `tx` (0 on SQLite, where one
/// writer at a time makes the sequence the commit order) and sequence number `seq`. Events are
/// ordered by (tx, seq); a reader only ever takes events of finished transactions older than every
/// running one, so no event can later appear before a position already handed out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub tx: i64,
    pub seq: i64,
}

impl Position {
    /// The opaque cursor a client stores.
    pub fn cursor(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}.{}", self.tx, self.seq))
    }

    /// A cursor this server handed out; `None` for anything else.
    pub fn from_cursor(cursor: &str) -> Option<Position> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
        let (tx, seq) = raw.split_once('.')?;
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(tx) || !digits(seq) {
            return None;
        }
        Some(Position {
            tx: tx.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let p = Position { tx: 7411, seq: 93 };
        assert_eq!(Position::from_cursor(&p.cursor()), Some(p));
        assert_eq!(
            Position::from_cursor(&Position::default().cursor()),
            Some(Position::default())
        );
        for bad in ["", "abc", "MTIz", "LTEuMg", "MS4tMg", "MS4y LTE"] {
            assert_eq!(Position::from_cursor(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_step_has_its_event() {
        for step in ["create", "edit"] {
            assert!(EventType::of_contract_step(step).is_some());
        }
        for action in Action::ALL {
            assert!(EventType::of_contract_step(action.as_str()).is_some());
        }
        for step in ["amend", "accept", "decline", "approve", "reject"] {
            assert!(EventType::of_amendment_step(step).is_some());
        }
        assert_eq!(EventType::of_contract_step("amend"), None);
    }
}
