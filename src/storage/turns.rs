//! SQLite lets one writer in at a time and makes the others poll with growing sleeps (its busy
//! handler: seconds of wait at the tail under load). Writers of e-track take turns instead, and
//! are handed the turn as soon as it is free: within a process on a lock, across the processes
//! sharing one database file on an exclusive lock of a file beside it (`<database>-writers`),
//! which the kernel hands to the next waiter. SQLite's busy handler stays as the fallback for
//! whatever writes without a turn (another program on the file, a command such as `etrack
//! check`), and where the file cannot be locked.

use std::fs::{File, OpenOptions};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The turns to write on one SQLite database.
#[derive(Debug)]
pub struct Writers {
    within: Mutex<()>,
    across: Option<File>,
}

/// The turn to write, held until dropped.
pub struct Turn<'a> {
    across: Option<&'a File>,
    _within: MutexGuard<'a, ()>,
}

/// The file whose lock is the turn of every process on `database`.
pub fn lock_file(database: &str) -> String {
    format!("{database}-writers")
}

impl Writers {
    /// The turns of the database at `path`. A database in memory is one process's own; a file
    /// that cannot be opened beside the database leaves the processes to SQLite's busy handler.
    pub fn new(path: &str) -> Writers {
        let in_memory = path == ":memory:" || path.starts_with("file:") || path.is_empty();
        let across = (!in_memory)
            .then(|| {
                OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(lock_file(path))
                    .inspect_err(|e| {
                        tracing::warn!(error = %e, "SQLite writers of several processes will poll")
                    })
                    .ok()
            })
            .flatten();
        Writers {
            within: Mutex::new(()),
            across,
        }
    }

    /// Waits for the turn to write: this process's first, then the database's.
    pub fn take(&self) -> Turn<'_> {
        let within = self.within.lock().unwrap_or_else(PoisonError::into_inner);
        let across = self.across.as_ref().filter(|file| match file.lock() {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "the SQLite writers' lock file could not be locked");
                false
            }
        });
        Turn {
            across,
            _within: within,
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        // Released before this process's lock is (fields drop after this).
        if let Some(file) = self.across {
            let _ = file.unlock();
        }
    }
}
