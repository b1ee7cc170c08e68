//! Prometheus counters and the latency histogram, rendered in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The webhook's metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<&'static str, u64>>,
    decisions: Mutex<BTreeMap<(String, &'static str), u64>>,
    reloads: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    in_flight: AtomicI64,
}

fn bump<K: Ord>(m: &Mutex<BTreeMap<K, u64>>, k: K) {
    if let Ok(mut m) = m.lock() {
        *m.entry(k).or_default() += 1;
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Counts an answered admission request by its result and records its latency.
    pub fn request(&self, result: &'static str, elapsed: Duration) {
        bump(&self.requests, result);
        let secs = elapsed.as_secs_f64();
        for (b, le) in self.buckets.iter().zip(BUCKETS) {
            if secs <= le {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Counts a rule's decision (`deny` or `warn`).
    pub fn decision(&self, rule: &str, action: &'static str) {
        bump(&self.decisions, (rule.to_owned(), action));
    }

    /// Counts a reload of `what` (`policies`, `certificate`) ending in `result` (`ok`, `error`).
    pub fn reload(&self, what: &'static str, result: &'static str) {
        bump(&self.reloads, (what, result));
    }

    /// Tracks requests being evaluated or waiting for a worker.
    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// The text exposition.
    pub fn render(&self, ready: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP kvet_webhook_requests_total Admission requests answered, by result."
        );
        let _ = writeln!(out, "# TYPE kvet_webhook_requests_total counter");
        if let Ok(m) = self.requests.lock() {
            for (result, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "kvet_webhook_requests_total{{result=\"{result}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP kvet_webhook_decisions_total Findings that denied or warned, by rule."
        );
        let _ = writeln!(out, "# TYPE kvet_webhook_decisions_total counter");
        if let Ok(m) = self.decisions.lock() {
            for ((rule, action), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "kvet_webhook_decisions_total{{rule=\"{}\",action=\"{action}\"}} {n}",
                    escape(rule)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP kvet_webhook_reloads_total Policy and certificate reloads, by result."
        );
        let _ = writeln!(out, "# TYPE kvet_webhook_reloads_total counter");
        if let Ok(m) = self.reloads.lock() {
            for ((what, result), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "kvet_webhook_reloads_total{{what=\"{what}\",result=\"{result}\"}} {n}"
                );
            }
        }
        let _ = writeln!(out, "# HELP kvet_webhook_request_duration_seconds Time from a request's arrival to its answer.");
        let _ = writeln!(
            out,
            "# TYPE kvet_webhook_request_duration_seconds histogram"
        );
        for (b, le) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "kvet_webhook_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
                b.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "kvet_webhook_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "kvet_webhook_request_duration_seconds_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "kvet_webhook_request_duration_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP kvet_webhook_in_flight Admission requests being evaluated or queued."
        );
        let _ = writeln!(out, "# TYPE kvet_webhook_in_flight gauge");
        let _ = writeln!(
            out,
            "kvet_webhook_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP kvet_webhook_ready Whether a compiled policy set is serving."
        );
        let _ = writeln!(out, "# TYPE kvet_webhook_ready gauge");
        let _ = writeln!(out, "kvet_webhook_ready {}", u8::from(ready));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.request("denied", Duration::from_millis(3));
        m.request("allowed", Duration::from_millis(30));
        m.decision("tag-pinning", "deny");
        let text = m.render(true);
        assert!(text.contains("kvet_webhook_requests_total{result=\"denied\"} 1"));
        assert!(
            text.contains("kvet_webhook_decisions_total{rule=\"tag-pinning\",action=\"deny\"} 1")
        );
        assert!(text.contains("kvet_webhook_request_duration_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("kvet_webhook_request_duration_seconds_bucket{le=\"0.05\"} 2"));
        assert!(text.contains("kvet_webhook_request_duration_seconds_count 2"));
        assert!(text.contains("kvet_webhook_ready 1"));
    }
}
