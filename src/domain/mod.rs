//! Pure domain types and rules: no HTTP, no SQL. Input is parsed into these types once, at the edge.

pub mod calendar;
pub mod contract;
pub mod country;
pub mod document;
pub mod feed;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod organization;
pub mod readiness;
pub mod season;
pub mod text;

/// Why a value was refused: a stable code (translated by the catalogue) and, where it helps, a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub limit: Option<usize>,
}

impl Invalid {
    pub const fn new(code: &'static str) -> Invalid {
        Invalid { code, limit: None }
    }
    pub const fn with_limit(code: &'static str, limit: usize) -> Invalid {
        Invalid {
            code,
            limit: Some(limit),
        }
    }
}
