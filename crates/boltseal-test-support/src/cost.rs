//! What a process costs: wall time and peak memory ([`run_measured`], [`Cost`]).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a process cost: wall time and peak resident memory (`VmHWM`).
#[derive(Debug)]
pub struct Cost {
    /// Exit status, stdout and stderr.
    pub output: std::process::Output,
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
    /// Peak resident set size in bytes, sampled from `/proc/PID/status` every few milliseconds
    /// until the process exits (the high-water mark only grows, so the last sample is the peak
    /// up to a few milliseconds before exit).
    pub peak_rss: u64,
}

impl Cost {
    /// Asserts the process stayed within `seconds` and `mib` MiB; the message names both.
    pub fn assert_within(&self, seconds: u64, mib: u64) {
        assert!(
            self.elapsed <= Duration::from_secs(seconds),
            "took {:?}, bound {seconds} s",
            self.elapsed
        );
        assert!(
            self.peak_rss <= mib << 20,
            "peak RSS {} MiB, bound {mib} MiB",
            self.peak_rss >> 20
        );
    }
}

/// The peak resident set size (`VmHWM`) of a running process, in bytes.
pub fn peak_rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs `cmd` to completion (stdin closed, output captured), measuring its wall time and peak
/// memory. A process still running after `kill_after` is killed (the test then fails on its
/// bound rather than hanging).
pub fn run_measured(cmd: &mut Command, kill_after: Duration) -> Cost {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let mut peak = 0;
    let status = loop {
        if let Some(p) = peak_rss_of(pid) {
            peak = peak.max(p);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > kill_after {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    Cost {
        output: std::process::Output {
            status,
            stdout: out_reader.join().unwrap_or_default(),
            stderr: err_reader.join().unwrap_or_default(),
        },
        elapsed,
        peak_rss: peak,
    }
}
