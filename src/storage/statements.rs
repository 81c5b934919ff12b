//! Statements sent to the database, counted per thread: a request's work runs on one blocking
//! thread with one pooled connection (see `AppState::on_connection`), which reads how many
//! statements that work sent (the connection's check included) for the metrics to sum per route
//! (`etrack_db_statements_total`). On PostgreSQL each is one round trip (statements are prepared
//! once per connection, on first use); on SQLite none leaves the process.

use std::cell::Cell;

use diesel::connection::{Instrumentation, InstrumentationEvent};

thread_local! {
    static SENT: Cell<u64> = const { Cell::new(0) };
}

/// Counts each statement a connection answers (transaction control included) on the thread it
/// runs on.
pub struct Counting;

impl Instrumentation for Counting {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { .. } = event {
            SENT.with(|n| n.set(n.get() + 1));
        }
    }
}

/// The statements this thread's connections sent since the last call.
pub fn take() -> u64 {
    SENT.with(|n| n.replace(0))
}
