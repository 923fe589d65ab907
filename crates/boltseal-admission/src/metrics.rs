//! The webhook's metrics, served on `GET /metrics` in the Prometheus text format (0.0.4):
//! reviews by webhook and outcome, their latency, and what the reviewer adds (for the policy
//! reviewer: verifications, cache answers, requests that joined another's verification, and
//! registry requests).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::server::Phase;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Counters of one webhook (`/mutate` or `/validate`).
#[derive(Default)]
struct PhaseCounters {
    allowed: AtomicU64,
    denied: AtomicU64,
    /// Per bucket of [`BUCKETS`], then `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

/// What the server counts. Cheap to update from any number of connections.
#[derive(Default)]
pub(crate) struct Metrics {
    mutate: PhaseCounters,
    validate: PhaseCounters,
    refused: AtomicU64,
}

impl Metrics {
    fn phase(&self, phase: Phase) -> &PhaseCounters {
        match phase {
            Phase::Mutate => &self.mutate,
            Phase::Validate => &self.validate,
        }
    }

    /// Records a decided review.
    pub(crate) fn review(&self, phase: Phase, allowed: bool, took: Duration) {
        let c = self.phase(phase);
        if allowed {
            c.allowed.fetch_add(1, Ordering::Relaxed);
        } else {
            c.denied.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&b| seconds <= b)
            .unwrap_or(BUCKETS.len());
        c.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        c.sum_micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Records a review answered without a decision (over a limit, malformed, no slot).
    pub(crate) fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// The server's metrics in the text format, followed by `extra` (the reviewer's).
    pub(crate) fn render(&self, extra: &str) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP boltseal_admission_reviews_total Reviews decided, by webhook and outcome.\n",
        );
        out.push_str("# TYPE boltseal_admission_reviews_total counter\n");
        for phase in [Phase::Mutate, Phase::Validate] {
            let c = self.phase(phase);
            for (outcome, n) in [("allowed", &c.allowed), ("denied", &c.denied)] {
                let _ = writeln!(
                    out,
                    "boltseal_admission_reviews_total{{webhook=\"{}\",outcome=\"{outcome}\"}} {}",
                    phase.as_str(),
                    n.load(Ordering::Relaxed)
                );
            }
        }
        out.push_str("# HELP boltseal_admission_reviews_refused_total Reviews answered without a decision (over a limit, malformed, no slot in time).\n");
        out.push_str("# TYPE boltseal_admission_reviews_refused_total counter\n");
        let _ = writeln!(
            out,
            "boltseal_admission_reviews_refused_total {}",
            self.refused.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP boltseal_admission_review_duration_seconds Time to decide a review.\n",
        );
        out.push_str("# TYPE boltseal_admission_review_duration_seconds histogram\n");
        for phase in [Phase::Mutate, Phase::Validate] {
            let c = self.phase(phase);
            let mut cumulative = 0;
            for (i, counter) in c.buckets.iter().enumerate() {
                cumulative += counter.load(Ordering::Relaxed);
                let le = BUCKETS.get(i).map_or("+Inf".to_owned(), |b| b.to_string());
                let _ = writeln!(
                    out,
                    "boltseal_admission_review_duration_seconds_bucket{{webhook=\"{}\",le=\"{le}\"}} {cumulative}",
                    phase.as_str()
                );
            }
            let _ = writeln!(
                out,
                "boltseal_admission_review_duration_seconds_sum{{webhook=\"{}\"}} {}",
                phase.as_str(),
                c.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "boltseal_admission_review_duration_seconds_count{{webhook=\"{}\"}} {cumulative}",
                phase.as_str()
            );
        }
        out.push_str(extra);
        out
    }
}

/// Writes one counter with its help and type lines.
pub fn write_counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    let _ = writeln!(out, "{name} {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_is_cumulative_and_counts_every_review() {
        let m = Metrics::default();
        m.review(Phase::Mutate, true, Duration::from_millis(3));
        m.review(Phase::Mutate, false, Duration::from_millis(30));
        m.review(Phase::Validate, true, Duration::from_secs(60));
        m.refused();
        let text = m.render("");
        for line in [
            "boltseal_admission_reviews_total{webhook=\"mutate\",outcome=\"allowed\"} 1",
            "boltseal_admission_reviews_total{webhook=\"mutate\",outcome=\"denied\"} 1",
            "boltseal_admission_reviews_total{webhook=\"validate\",outcome=\"allowed\"} 1",
            "boltseal_admission_reviews_refused_total 1",
            "boltseal_admission_review_duration_seconds_bucket{webhook=\"mutate\",le=\"0.0025\"} 0",
            "boltseal_admission_review_duration_seconds_bucket{webhook=\"mutate\",le=\"0.005\"} 1",
            "boltseal_admission_review_duration_seconds_bucket{webhook=\"mutate\",le=\"0.05\"} 2",
            "boltseal_admission_review_duration_seconds_bucket{webhook=\"validate\",le=\"5\"} 0",
            "boltseal_admission_review_duration_seconds_bucket{webhook=\"validate\",le=\"+Inf\"} 1",
            "boltseal_admission_review_duration_seconds_count{webhook=\"mutate\"} 2",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
