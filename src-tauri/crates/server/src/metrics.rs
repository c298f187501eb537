//! Counters served at `GET /metrics` in the Prometheus text format: events accepted and
//! rejected by reason, runs by status, step latency, queue depth. Labels hold aliases, reasons
//! and statuses only, never payload data or secrets.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Upper bounds (seconds) of the step latency histogram buckets.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's metrics; cheap to update from handlers and workers.
#[derive(Debug, Default)]
pub struct Metrics {
    accepted: Mutex<BTreeMap<String, u64>>,
    duplicates: Mutex<BTreeMap<String, u64>>,
    rejected: Mutex<BTreeMap<String, u64>>,
    runs: Mutex<BTreeMap<String, u64>>,
    steps: Mutex<Histogram>,
    queue: AtomicI64,
}

fn bump(map: &Mutex<BTreeMap<String, u64>>, label: &str) {
    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
    *map.entry(label.to_string()).or_default() += 1;
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn counter(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    map: &Mutex<BTreeMap<String, u64>>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    let map = map.lock().unwrap_or_else(PoisonError::into_inner);
    for (value, count) in map.iter() {
        let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {count}", escape(value));
    }
}

impl Metrics {
    /// An event of this alias was committed and queued.
    pub fn accepted(&self, alias: &str) {
        bump(&self.accepted, alias);
        self.queue.fetch_add(1, Ordering::Relaxed);
    }

    /// An event with an already accepted primary key was acknowledged again.
    pub fn duplicate(&self, alias: &str) {
        bump(&self.duplicates, alias);
    }

    /// A body was refused for this reason (`malformed_json`, `invalid`, `too_large`).
    pub fn rejected(&self, reason: &str) {
        bump(&self.rejected, reason);
    }

    /// Events found queued at start.
    pub fn resumed(&self, count: usize) {
        self.queued(count);
    }

    /// Runs queued without an event (replays, contacts entering a group).
    pub fn queued(&self, count: usize) {
        self.queue
            .fetch_add(i64::try_from(count).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Events and runs waiting for a worker or in one (the `hookboard_queue_depth` gauge).
    pub fn queue_depth(&self) -> usize {
        usize::try_from(self.queue.load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// A worker finished an event or a queued run (whatever its runs did).
    pub fn processed(&self) {
        self.queue.fetch_sub(1, Ordering::Relaxed);
    }

    /// A run ended with this status; its steps took these durations (milliseconds).
    pub fn run(&self, status: &str, step_durations_ms: impl IntoIterator<Item = u64>) {
        bump(&self.runs, status);
        let mut steps = self.steps.lock().unwrap_or_else(PoisonError::into_inner);
        for ms in step_durations_ms {
            // Millisecond counts are far below 2^52: the conversion is exact.
            let seconds = ms as f64 / 1000.0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    steps.counts[i] += 1;
                }
            }
            steps.count += 1;
            steps.sum += seconds;
        }
    }

    /// Everything in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        counter(
            &mut out,
            "hookboard_events_accepted_total",
            "Events committed and queued, by alias.",
            "alias",
            &self.accepted,
        );
        counter(
            &mut out,
            "hookboard_events_duplicate_total",
            "Events acknowledged again for an already accepted primary key, by alias.",
            "alias",
            &self.duplicates,
        );
        counter(
            &mut out,
            "hookboard_events_rejected_total",
            "Inbound bodies refused, by reason.",
            "reason",
            &self.rejected,
        );
        counter(
            &mut out,
            "hookboard_runs_total",
            "Runs stored, by the status they were stored with; a run that waits is counted as waiting, then again with the status it ends in.",
            "status",
            &self.runs,
        );
        let name = "hookboard_step_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Duration of workflow steps.\n# TYPE {name} histogram"
        );
        let steps = self.steps.lock().unwrap_or_else(PoisonError::into_inner);
        for (bound, count) in BUCKETS.iter().zip(steps.counts.iter()) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", steps.count);
        let _ = writeln!(out, "{name}_sum {}", steps.sum);
        let _ = writeln!(out, "{name}_count {}", steps.count);
        let name = "hookboard_queue_depth";
        let _ = writeln!(
            out,
            "# HELP {name} Events committed and not yet processed.\n# TYPE {name} gauge\n{name} {}",
            self.queue.load(Ordering::Relaxed).max(0)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_gauge() {
        let metrics = Metrics::default();
        metrics.accepted("signup");
        metrics.rejected("invalid");
        metrics.run("completed", [3, 40]);
        let text = metrics.render();
        assert!(text.contains("hookboard_events_accepted_total{alias=\"signup\"} 1"));
        assert!(text.contains("hookboard_events_rejected_total{reason=\"invalid\"} 1"));
        assert!(text.contains("hookboard_runs_total{status=\"completed\"} 1"));
        assert!(text.contains("hookboard_step_duration_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("hookboard_step_duration_seconds_bucket{le=\"0.05\"} 2"));
        assert!(text.contains("hookboard_step_duration_seconds_count 2"));
        assert!(text.contains("hookboard_queue_depth 1"));
    }
}
