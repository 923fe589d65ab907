//! The server's limits ([`ServerOptions`]) and the deadline of a review: the webhook timeout
//! the API server sends with each request, less a margin for the answer to travel.

use std::time::Duration;

use crate::review::{MAX_DECODED_BYTES, MAX_REVIEW_BYTES, MAX_REVIEW_DEPTH};

/// Kubernetes' default `timeoutSeconds` (and Kyverno's).
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Server limits. The defaults fit reviews as the API server sends them with room to spare,
/// and keep a webhook under a 256 MiB memory limit whatever its clients send: a review is
/// refused (one line naming the limit and the value seen) when its body, nesting or decoded
/// memory is over its limit, and waits, within its deadline, while too many reviews or too much
/// memory are in flight.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Largest review body read (default 3 MiB, [`MAX_REVIEW_BYTES`]); a larger one is answered
    /// 413.
    pub max_body_bytes: usize,
    /// Deepest nesting of arrays and objects in a review (default 64, [`MAX_REVIEW_DEPTH`]); a
    /// deeper one is answered 413.
    pub max_depth: usize,
    /// Most memory a review's JSON may take once decoded, as bounded before decoding by
    /// [`crate::scan::shape`] (default 48 MiB, [`MAX_DECODED_BYTES`]); a costlier review is
    /// answered 413.
    pub max_decoded_bytes: usize,
    /// Reviews read, decoded or decided at once (default 128). More wait for a slot within
    /// their deadline, then are answered 503 (which the API server treats by the webhook
    /// configuration's `failurePolicy`).
    pub max_reviews_in_flight: usize,
    /// Memory the reviews in flight may hold together (default 128 MiB): each reserves its
    /// body's size before reading it (the whole [`ServerOptions::max_body_bytes`] when no
    /// `Content-Length` is sent), then twice its decoded bound (the decoded request and the
    /// policy engine's copy of the objects) before decoding. A review waits for its reservation
    /// within its deadline, then is answered 503. Must exceed `max_body_bytes` plus twice
    /// `max_decoded_bytes` for the largest reviews to be served (a larger need is clamped to it).
    pub review_memory: usize,
    /// Connections served at once; more wait in the listen queue (default 1024).
    pub max_connections: usize,
    /// Time for a client to finish the TLS handshake (default 5 s).
    pub handshake_timeout: Duration,
    /// Time for a client to send its first request's headers once the TLS handshake is done
    /// (default 5 s); a connection that sends none in time is closed.
    pub header_read_timeout: Duration,
    /// Time for a client to send a request's body once its headers arrived (default 10 s).
    pub read_timeout: Duration,
    /// Time a connection may stay idle between requests, or take to send a later request's
    /// headers (default 120 s: longer than the API server's 90 s idle timeout, so that the client, not
    /// the server, closes idle keep-alive connections and no review races a closing connection).
    pub idle_timeout: Duration,
    /// How long open connections may finish their requests after shutdown begins (default 30 s).
    pub shutdown_grace: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_body_bytes: MAX_REVIEW_BYTES,
            max_depth: MAX_REVIEW_DEPTH,
            max_decoded_bytes: MAX_DECODED_BYTES,
            max_reviews_in_flight: 128,
            review_memory: 128 << 20,
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(5),
            header_read_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Parses a Go `time.Duration` string as the API server writes it in `?timeout=` (`10s`,
/// `1m30s`, `2.5s`, `500ms`). Returns `None` for anything else, including negative values.
///
/// ```
/// use std::time::Duration;
/// use boltseal_admission::server::parse_go_duration;
/// assert_eq!(parse_go_duration("10s"), Some(Duration::from_secs(10)));
/// assert_eq!(parse_go_duration("1m0.5s"), Some(Duration::from_millis(60_500)));
/// assert_eq!(parse_go_duration("10"), None);
/// ```
#[must_use]
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        if number.is_empty() || number == "." {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = tail;
    }
    if total.is_finite() && total < 1e9 {
        Some(Duration::from_secs_f64(total))
    } else {
        None
    }
}

/// The time a review may take: the webhook timeout (`?timeout=` from the API server, clamped to
/// Kubernetes' 1–30 s range, else `fallback`) minus a margin for the answer to travel back —
/// a tenth of the timeout, between 100 ms and 1 s.
///
/// ```
/// use std::time::Duration;
/// use boltseal_admission::server::review_deadline;
/// let ten = Duration::from_secs(10);
/// assert_eq!(review_deadline(Some("timeout=10s"), ten), Duration::from_secs(9));
/// assert_eq!(review_deadline(Some("timeout=2s"), ten), Duration::from_millis(1800));
/// assert_eq!(review_deadline(None, Duration::from_secs(30)), Duration::from_secs(29));
/// ```
#[must_use]
pub fn review_deadline(query: Option<&str>, fallback: Duration) -> Duration {
    let timeout = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("timeout="))
        .and_then(parse_go_duration)
        .unwrap_or(fallback)
        .clamp(Duration::from_secs(1), Duration::from_secs(30));
    let margin = (timeout / 10).clamp(Duration::from_millis(100), Duration::from_secs(1));
    timeout - margin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (text, ms) in [
            ("10s", 10_000),
            ("30s", 30_000),
            ("1m30s", 90_000),
            ("2.5s", 2_500),
            ("500ms", 500),
            ("1h", 3_600_000),
            ("0", 0),
            ("+3s", 3_000),
        ] {
            assert_eq!(
                parse_go_duration(text),
                Some(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in ["", "s", "10", "-1s", "1x", ".s", "1e3s", "ten seconds"] {
            assert_eq!(parse_go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn deadlines_stay_below_the_timeout() {
        let d = DEFAULT_WEBHOOK_TIMEOUT;
        assert_eq!(review_deadline(None, d), Duration::from_secs(9));
        assert_eq!(
            review_deadline(Some("a=b&timeout=30s"), d),
            Duration::from_secs(29)
        );
        assert_eq!(
            review_deadline(Some("timeout=100s"), d),
            Duration::from_secs(29)
        );
        assert_eq!(
            review_deadline(Some("timeout=1ms"), d),
            Duration::from_millis(900)
        );
        assert_eq!(
            review_deadline(Some("timeout=bogus"), d),
            Duration::from_secs(9)
        );
    }
}
