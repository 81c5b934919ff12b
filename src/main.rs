fn main() -> std::process::ExitCode {
    tune_allocator();
    etrack::cli::run()
}

/// glibc's allocator keeps one arena per busy thread and, once a large block is freed, raises the
/// size above which blocks are mapped on their own, so the 19 MiB each password check needs stays
/// in every arena that ever held one. Two arenas and a fixed threshold give that memory back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
