//! The portal's use cases: what each party can do, whatever the interface. Each function takes the
//! acting [`crate::access::Caller`] and a connection (a write transaction for changes), asks
//! [`crate::access`] what the caller may see and do, applies the rules of [`crate::domain`] through
//! [`crate::storage`], and returns domain results or an [`crate::error::Error`]. The API's handlers
//! only parse, call one of these and render; a console page or a background worker calls the same.

pub mod accounts;
pub mod amendments;
pub mod api_keys;
pub mod audit;
pub mod contracts;
pub mod datasets;
pub mod documents;
pub mod facilities;
pub mod feed;
pub mod groups;
pub mod inspections;
pub mod money;
pub mod notifications;
pub mod organizations;
pub mod readiness;
pub mod seasons;
pub mod sheet;
pub mod sign_in;
pub mod users;
pub mod webhooks;
