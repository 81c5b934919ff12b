fn main() -> std::process::ExitCode {
    tune_allocator();
    etrack::cli::run()
}

/// glibc's allocator keeps one arena per busy thread and, once a large block is freed, raises the
/// size above which blocks are mapped on their own, so the 19 MiB each password check needs stays
/// in every arena that ever held one. A fixed threshold gives that memory back: blocks of a MiB
/// and more are mapped on their own and unmapped when freed. Arenas are capped at two per core:
/// each thread allocating takes its arena's lock, and with one per core the threads doing SQLite's
/// work queued on those locks (docs/performance.md, "SQLite: one lock around every allocation").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    let arenas = i32::try_from(etrack::config::cores().saturating_mul(2)).unwrap_or(i32::MAX);
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas.max(2));
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
