//! Counters and histograms, rendered in the Prometheus text format.
//!
//! Hand-rolled: a handful of atomics is all the gateway needs, and a metrics crate would bring
//! a registry, labels machinery and more dependencies for the same output.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// How an ingest request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 200, records stored.
    Accepted,
    /// 200, a repeat of an earlier request; nothing stored.
    Duplicate,
    /// 400.
    Invalid,
    /// 401.
    Unauthorized,
    /// 404.
    NotFound,
    /// 413.
    TooLarge,
    /// 429.
    RateLimited,
    /// 503: the log was out of reach.
    Unavailable,
    /// Other 5xx.
    Error,
}

impl Outcome {
    const ALL: [Outcome; 9] = [
        Outcome::Accepted,
        Outcome::Duplicate,
        Outcome::Invalid,
        Outcome::Unauthorized,
        Outcome::NotFound,
        Outcome::TooLarge,
        Outcome::RateLimited,
        Outcome::Unavailable,
        Outcome::Error,
    ];

    fn label(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Duplicate => "duplicate",
            Outcome::Invalid => "invalid",
            Outcome::Unauthorized => "unauthorized",
            Outcome::NotFound => "not_found",
            Outcome::TooLarge => "too_large",
            Outcome::RateLimited => "rate_limited",
            Outcome::Unavailable => "unavailable",
            Outcome::Error => "error",
        }
    }
}

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0];
/// Upper bounds of the group-size buckets, in requests.
const GROUP_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>, // one per bound, plus +Inf
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: f64) {
        let i = self.bounds.iter().position(|b| value <= *b).unwrap_or(self.bounds.len());
        self.counts[i].fetch_add(1, Relaxed);
        self.sum_micros.fetch_add((value * 1e6) as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Relaxed);
            match self.bounds.get(i) {
                Some(b) => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
                }
                None => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
                }
            }
        }
        let _ = writeln!(out, "{name}_sum {}", self.sum_micros.load(Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

/// The gateway's metrics.
#[derive(Debug)]
pub struct Metrics {
    outcomes: [AtomicU64; Outcome::ALL.len()],
    records: AtomicU64,
    latency: Histogram,
    group_sizes: Histogram,
    commit_latency: Histogram,
    import_applied: AtomicU64,
    import_pending: AtomicU64,
    stream_last: AtomicU64,
    import_failures: AtomicU64,
    rate_share: AtomicU64,
    signature_failures: [AtomicU64; crate::ingest::signature::Failure::ALL.len()],
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            outcomes: Default::default(),
            records: AtomicU64::new(0),
            latency: Histogram::new(&LATENCY_BUCKETS),
            group_sizes: Histogram::new(&GROUP_BUCKETS),
            commit_latency: Histogram::new(&LATENCY_BUCKETS),
            import_applied: AtomicU64::new(0),
            import_pending: AtomicU64::new(0),
            stream_last: AtomicU64::new(0),
            import_failures: AtomicU64::new(0),
            rate_share: AtomicU64::new(1),
            signature_failures: Default::default(),
        }
    }
}

impl Metrics {
    /// Counts an ingest request and its latency.
    pub fn observe_request(&self, outcome: Outcome, elapsed: Duration) {
        let i = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
        self.outcomes[i].fetch_add(1, Relaxed);
        self.latency.observe(elapsed.as_secs_f64());
    }

    /// Counts a signed request refused, by reason.
    pub fn signature_failure(&self, failure: crate::ingest::signature::Failure) {
        let i = crate::ingest::signature::Failure::ALL.iter().position(|f| *f == failure).unwrap_or(0);
        self.signature_failures[i].fetch_add(1, Relaxed);
    }

    /// Counts records stored.
    pub fn add_records(&self, n: usize) {
        self.records.fetch_add(n as u64, Relaxed);
    }

    /// Counts one group commit.
    pub fn observe_group(&self, writes: usize, elapsed: Duration) {
        self.group_sizes.observe(writes as f64);
        self.commit_latency.observe(elapsed.as_secs_f64());
    }

    /// The stream sequence the importer has applied through.
    pub fn set_import_applied(&self, sequence: u64) {
        self.import_applied.store(sequence, Relaxed);
    }

    /// The importer's consumer: messages not yet acknowledged, and the stream's last sequence.
    pub fn set_import_lag(&self, pending: u64, stream_last: u64) {
        self.import_pending.store(pending, Relaxed);
        self.stream_last.store(stream_last, Relaxed);
    }

    /// Counts log entries the importer could not apply (kept in the store's `log_failures`).
    pub fn add_import_failures(&self, n: usize) {
        self.import_failures.fetch_add(n as u64, Relaxed);
    }

    /// How many gateways share each workspace's rate limit.
    pub fn set_rate_share(&self, gateways: u32) {
        self.rate_share.store(u64::from(gateways), Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP hookmap_requests_total Webhook requests by outcome.\n");
        out.push_str("# TYPE hookmap_requests_total counter\n");
        for (outcome, count) in Outcome::ALL.iter().zip(&self.outcomes) {
            let _ = writeln!(
                out,
                "hookmap_requests_total{{outcome=\"{}\"}} {}",
                outcome.label(),
                count.load(Relaxed)
            );
        }
        out.push_str("# HELP hookmap_records_imported_total Records stored from accepted requests.\n");
        out.push_str("# TYPE hookmap_records_imported_total counter\n");
        let _ = writeln!(out, "hookmap_records_imported_total {}", self.records.load(Relaxed));
        self.latency.render(
            &mut out,
            "hookmap_request_duration_seconds",
            "Time from receiving a webhook request to answering it.",
        );
        self.group_sizes.render(&mut out, "hookmap_commit_group_size", "Requests committed per transaction.");
        self.commit_latency.render(
            &mut out,
            "hookmap_commit_duration_seconds",
            "Time to apply and durably commit one group.",
        );
        let gauges = [
            (
                "hookmap_import_applied_sequence",
                "Stream sequence the importer has applied through.",
                &self.import_applied,
            ),
            (
                "hookmap_import_pending_messages",
                "Stream messages the importer has not acknowledged yet.",
                &self.import_pending,
            ),
            (
                "hookmap_stream_last_sequence",
                "The stream's last sequence, as last read by the importer.",
                &self.stream_last,
            ),
            (
                "hookmap_rate_limit_share",
                "Gateways sharing each workspace's rate limit (this one allows 1/N).",
                &self.rate_share,
            ),
        ];
        for (name, help, value) in gauges {
            let _ =
                writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}", value.load(Relaxed));
        }
        let _ = writeln!(
            out,
            "# HELP hookmap_import_failures_total Log entries the importer could not apply (see log_failures).\n\
             # TYPE hookmap_import_failures_total counter\nhookmap_import_failures_total {}",
            self.import_failures.load(Relaxed)
        );
        out.push_str("# HELP hookmap_signature_failures_total Signed webhook requests refused, by reason.\n");
        out.push_str("# TYPE hookmap_signature_failures_total counter\n");
        for (failure, count) in crate::ingest::signature::Failure::ALL.iter().zip(&self.signature_failures) {
            let _ = writeln!(
                out,
                "hookmap_signature_failures_total{{reason=\"{}\"}} {}",
                failure.label(),
                count.load(Relaxed)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe_request(Outcome::Accepted, Duration::from_micros(700));
        m.observe_request(Outcome::Accepted, Duration::from_secs(30));
        m.observe_request(Outcome::RateLimited, Duration::from_micros(100));
        m.add_records(5);
        let text = m.render();
        assert!(text.contains("hookmap_requests_total{outcome=\"accepted\"} 2\n"), "{text}");
        assert!(text.contains("hookmap_requests_total{outcome=\"rate_limited\"} 1\n"));
        assert!(text.contains("hookmap_records_imported_total 5\n"));
        assert!(text.contains("hookmap_request_duration_seconds_bucket{le=\"0.0005\"} 1\n"));
        assert!(text.contains("hookmap_request_duration_seconds_bucket{le=\"0.001\"} 2\n"));
        assert!(text.contains("hookmap_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("hookmap_request_duration_seconds_count 3\n"));
    }
}
