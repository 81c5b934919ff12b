//! Structured logs. Requests are logged with their request id, method, route, status and latency;
//! bodies and credentials never are.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// `RUST_LOG` sets the levels (default `info`); `ETRACK_LOG_FORMAT=json` writes JSON lines.
/// Colours only on a terminal: a log file or a collector gets plain text.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let json = std::env::var("ETRACK_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}
