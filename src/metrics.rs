//! What operators watch, in the Prometheus text format (`GET /metrics`, behind
//! `ETRACK_METRICS_TOKEN`): requests by route and status, their latency, the connection pool, and
//! gauges read from the database at each scrape (the outbox backlog, the audit log's sealing lag,
//! sign-in waits running). Counters are per process; a scraper sums them over processes.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A latency histogram with the Prometheus bucket bounds above.
#[derive(Default)]
struct Histogram {
    /// Counts per bucket (not cumulative; summed when rendered), then one for +Inf.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, count) in self.buckets.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), ToString::to_string);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {cumulative}");
    }
}

/// The process's counters, shared by its workers.
#[derive(Default)]
pub struct Metrics {
    /// Answers per (method, route, status).
    answers: RwLock<HashMap<(String, String, u16), AtomicU64>>,
    /// Latency per (method, route).
    latency: RwLock<HashMap<(String, String), Histogram>>,
    /// Statements sent to the database per (method, route), summed.
    statements: RwLock<HashMap<(String, String), AtomicU64>>,
    /// Time requests waited for a database connection.
    pool_wait: Histogram,
    /// Requests that got no connection in time.
    pool_timeouts: AtomicU64,
}

/// The route label of a request that matched no route: never the raw path, which callers choose.
pub const UNMATCHED: &str = "unmatched";

impl Metrics {
    /// One answered request. `route` is the matched pattern (`/api/v1/contracts/{id}`);
    /// `statements` what its database work sent.
    pub fn answered(
        &self,
        method: &str,
        route: &str,
        status: u16,
        took: Duration,
        statements: u64,
    ) {
        let key = (method.to_owned(), route.to_owned(), status);
        if !bump(&self.answers, &key, |c| {
            c.fetch_add(1, Ordering::Relaxed);
        }) {
            let mut answers = self.answers.write().unwrap_or_else(|e| e.into_inner());
            answers
                .entry(key)
                .or_default()
                .fetch_add(1, Ordering::Relaxed);
        }
        let key = (method.to_owned(), route.to_owned());
        if !bump(&self.statements, &key, |c| {
            c.fetch_add(statements, Ordering::Relaxed);
        }) {
            let mut sent = self.statements.write().unwrap_or_else(|e| e.into_inner());
            sent.entry(key.clone())
                .or_default()
                .fetch_add(statements, Ordering::Relaxed);
        }
        if !bump(&self.latency, &key, |h| h.observe(took)) {
            let mut latency = self.latency.write().unwrap_or_else(|e| e.into_inner());
            latency.entry(key).or_default().observe(took);
        }
    }

    /// One checkout of a database connection: how long it waited, and whether it got one.
    pub fn pool_checkout(&self, waited: Duration, got: bool) {
        self.pool_wait.observe(waited);
        if !got {
            self.pool_timeouts.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The text exposition of the counters and of `gauges` (read from the database).
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(16 * 1024);
        out.push_str(
            "# HELP etrack_http_requests_total Requests answered, by method, route and status.\n\
             # TYPE etrack_http_requests_total counter\n",
        );
        let answers = self.answers.read().unwrap_or_else(|e| e.into_inner());
        let mut keys: Vec<_> = answers.keys().collect();
        keys.sort();
        for key @ (method, route, status) in keys {
            let count = answers[key].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "etrack_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(route)
            );
        }
        drop(answers);
        out.push_str(
            "# HELP etrack_http_request_duration_seconds Time from receiving a request to its answer.\n\
             # TYPE etrack_http_request_duration_seconds histogram\n",
        );
        let latency = self.latency.read().unwrap_or_else(|e| e.into_inner());
        let mut keys: Vec<_> = latency.keys().collect();
        keys.sort();
        for key @ (method, route) in keys {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            latency[key].render(&mut out, "etrack_http_request_duration_seconds", &labels);
        }
        drop(latency);
        out.push_str(
            "# HELP etrack_db_statements_total Statements sent to the database by requests, by method and route \
             (on PostgreSQL, one round trip each).\n\
             # TYPE etrack_db_statements_total counter\n",
        );
        let sent = self.statements.read().unwrap_or_else(|e| e.into_inner());
        let mut keys: Vec<_> = sent.keys().collect();
        keys.sort();
        for key @ (method, route) in keys {
            let _ = writeln!(
                out,
                "etrack_db_statements_total{{method=\"{method}\",route=\"{}\"}} {}",
                escape(route),
                sent[key].load(Ordering::Relaxed)
            );
        }
        drop(sent);
        out.push_str(
            "# HELP etrack_db_pool_wait_seconds Time requests waited for a database connection.\n\
             # TYPE etrack_db_pool_wait_seconds histogram\n",
        );
        self.pool_wait
            .render(&mut out, "etrack_db_pool_wait_seconds", "");
        let timeouts = self.pool_timeouts.load(Ordering::Relaxed);
        gauge(
            &mut out,
            "etrack_db_pool_timeouts_total",
            "counter",
            "Requests that got no database connection in time (answered 503).",
            timeouts as f64,
        );
        gauges.render(&mut out);
        out
    }
}

/// Applies `f` to the entry of `key` under the read lock; false if there is none yet.
fn bump<K: Eq + std::hash::Hash, V>(
    map: &RwLock<HashMap<K, V>>,
    key: &K,
    f: impl FnOnce(&V),
) -> bool {
    let map = map.read().unwrap_or_else(|e| e.into_inner());
    match map.get(key) {
        Some(value) => {
            f(value);
            true
        }
        None => false,
    }
}

/// What is read at each scrape.
#[derive(Debug, Default, Clone)]
pub struct Gauges {
    pub pool_size: u32,
    pub pool_connections: u32,
    pub pool_idle: u32,
    pub outbox_pending: i64,
    /// Seconds since the oldest email waiting to be sent was queued.
    pub outbox_oldest_seconds: f64,
    pub outbox_failed: i64,
    pub audit_unsealed: i64,
    /// Seconds since the oldest event not yet chained was appended.
    pub audit_unsealed_oldest_seconds: f64,
    /// Accounts and addresses whose sign-ins wait now.
    pub sign_in_waits: i64,
}

impl Gauges {
    fn render(&self, out: &mut String) {
        let rows: [(&str, &str, f64); 9] = [
            (
                "etrack_db_pool_size",
                "Database connections this process may open.",
                f64::from(self.pool_size),
            ),
            (
                "etrack_db_pool_connections",
                "Database connections open.",
                f64::from(self.pool_connections),
            ),
            (
                "etrack_db_pool_idle",
                "Database connections open and idle.",
                f64::from(self.pool_idle),
            ),
            (
                "etrack_outbox_pending",
                "Emails waiting to be sent (all processes).",
                self.outbox_pending as f64,
            ),
            (
                "etrack_outbox_oldest_pending_seconds",
                "Age of the oldest email waiting to be sent.",
                self.outbox_oldest_seconds,
            ),
            (
                "etrack_outbox_failed",
                "Emails given up after their attempts (kept until pruned).",
                self.outbox_failed as f64,
            ),
            (
                "etrack_audit_unsealed",
                "Audit events not yet chained.",
                self.audit_unsealed as f64,
            ),
            (
                "etrack_audit_unsealed_oldest_seconds",
                "Age of the oldest audit event not yet chained (the sealing lag).",
                self.audit_unsealed_oldest_seconds,
            ),
            (
                "etrack_sign_in_waits",
                "Accounts and addresses whose sign-ins are made to wait now.",
                self.sign_in_waits as f64,
            ),
        ];
        for (name, help, value) in rows {
            gauge(out, name, "gauge", help, value);
        }
    }
}

fn gauge(out: &mut String, name: &str, kind: &str, help: &str, value: f64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.answered("GET", "/a/{id}", 200, Duration::from_millis(3), 4);
        metrics.answered("GET", "/a/{id}", 200, Duration::from_millis(30), 5);
        metrics.answered("GET", "/a/{id}", 404, Duration::from_millis(2), 1);
        let text = metrics.render(&Gauges::default());
        assert!(text.contains(
            "etrack_http_requests_total{method=\"GET\",route=\"/a/{id}\",status=\"200\"} 2\n"
        ));
        assert!(text.contains(
            "etrack_http_requests_total{method=\"GET\",route=\"/a/{id}\",status=\"404\"} 1\n"
        ));
        assert!(text.contains(
            "etrack_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{id}\",le=\"0.005\"} 2\n"
        ));
        assert!(text.contains(
            "etrack_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a/{id}\",le=\"+Inf\"} 3\n"
        ));
        assert!(text.contains(
            "etrack_http_request_duration_seconds_count{method=\"GET\",route=\"/a/{id}\"} 3\n"
        ));
        assert!(text.contains("etrack_db_statements_total{method=\"GET\",route=\"/a/{id}\"} 10\n"));
    }
}
