//! Statements kept prepared on their connection, keyed by their SQL text.
//!
//! diesel prepares and keeps a statement only when its type alone fixes its SQL; every `UPDATE`,
//! an `INSERT` with an optional value or a conflict clause and an `= ANY($1)` it sends unnamed,
//! so PostgreSQL parses and plans it again on each execution (about 0.04 ms each, measured with
//! pgbench: docs/performance.md, "Writes kept prepared"). A statement wrapped in [`Prepared`] is
//! kept like any other, under its SQL text and bind types instead of its type: the same text
//! always means the same statement, and the variants a statement has (which optional columns an
//! update sets, how many rows an insert carries) are few. Only the statements of the hot paths are
//! wrapped: a statement whose text could take unboundedly many forms (an `IN` list on SQLite)
//! would fill the cache.

use std::cell::Cell;

use diesel::backend::Backend;
use diesel::internal::derives::multiconnection::AstPassHelper;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A statement kept prepared on its connection under its SQL text (see the module's text).
#[derive(Debug, Clone, Copy)]
pub struct Prepared<Q>(Q);

/// Wraps a statement so that its connection keeps it prepared.
pub trait KeepPrepared: Sized {
    fn prepared(self) -> Prepared<Self> {
        Prepared(self)
    }
}

impl<Q> KeepPrepared for Q {}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    /// Not by type: the statement cache keys it by its SQL text and bind types.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> QueryFragment<DB> for Prepared<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    /// The statement's own walk, except in the pass that asks whether it may be kept (and the one
    /// that asks whether it writes anything): there the statement is not walked, so that what
    /// marks it not to be kept is not heard, and it answers that it writes SQL. diesel asks
    /// through a reference to the statement as well, where an override of
    /// `is_safe_to_cache_prepared` would not be called, so the walk itself must answer.
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if pass.bind_collector().is_some() || pass.debug_binds().is_some() {
            return self.0.walk_ast(pass);
        }
        // Of the passes left, only the one writing the SQL has a query builder to convert.
        let writes_sql = Cell::new(false);
        let mut pass = pass.cast_database::<DB>(
            |collector| collector,
            |builder| {
                writes_sql.set(true);
                builder
            },
            |backend| backend,
            |lookup| lookup,
        );
        if writes_sql.get() {
            self.0.walk_ast(pass)
        } else {
            pass.push_sql("");
            Ok(())
        }
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Prepared<Q> {}

/// A statement with its `LIMIT` written into its text (`LIMIT 51`) rather than bound (`LIMIT $n`).
///
/// PostgreSQL plans a statement kept prepared for its values at each of its first five runs, then
/// keeps one plan for any values if that plan's estimated cost is not above theirs. A bound `LIMIT`
/// is estimated at a tenth of the rows it limits in the plan for any values: for an office's page
/// of contracts, 58 of its 578 rows where the plan for the values counts 51, so it never looked
/// cheaper, and PostgreSQL planned the page again at every request (0.13-0.18 ms, more than it took
/// to run it; docs/performance.md, "Statements planned at every run"). Written into the text, the
/// limit is known to both plans. Each limit is a statement of its own, kept under its text: only a
/// few limits may be written this way (see [`written_limit`]'s callers), so that the statements
/// kept stay few.
#[derive(Debug, Clone, Copy)]
pub struct WrittenLimit<Q> {
    query: Q,
    rows: u16,
}

/// `query` (which has no `LIMIT` of its own) limited to `rows`, written into its text.
pub fn written_limit<Q>(query: Q, rows: u16) -> WrittenLimit<Q> {
    WrittenLimit { query, rows }
}

impl<Q> QueryId for WrittenLimit<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for WrittenLimit<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> QueryFragment<DB> for WrittenLimit<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(pass.reborrow())?;
        pass.push_sql(" LIMIT ");
        pass.push_sql(&self.rows.to_string());
        Ok(())
    }

    fn is_safe_to_cache_prepared(&self, backend: &DB) -> QueryResult<bool> {
        self.query.is_safe_to_cache_prepared(backend)
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for WrittenLimit<Q> {}
