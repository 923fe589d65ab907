//! The example binaries as users run them ([`example`], [`Example`], [`run`]), what they
//! print ([`stdout`], [`stderr`], [`assert_success`], [`assert_error`]), peer tools
//! ([`require_tool`]) and the shared corpus ([`shared_corpus`]).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (where the root `Cargo.toml` and `examples/` are).
#[must_use]
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The path of an example binary, building the examples once per test process.
///
/// # Panics
/// When building the examples fails.
#[must_use]
pub fn example(name: &str) -> PathBuf {
    static BUILD: std::sync::Once = std::sync::Once::new();
    let root = workspace_root();
    BUILD.call_once(|| {
        let status = Command::new(env!("CARGO"))
            .current_dir(&root)
            .args(["build", "--quiet", "--examples"])
            .status()
            .expect("cargo build --examples");
        assert!(status.success(), "building the examples failed");
    });
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || root.join("target"),
        |t| {
            let t = PathBuf::from(t);
            if t.is_absolute() { t } else { root.join(t) }
        },
    );
    target.join("debug").join("examples").join(name)
}

/// One run of an example: its arguments, working directory and environment.
#[derive(Debug)]
pub struct Example(Command);

impl Example {
    /// The example `name`, built if needed ([`example`]).
    #[must_use]
    pub fn new(name: &str) -> Example {
        Example(Command::new(example(name)))
    }

    /// Adds arguments.
    #[must_use]
    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Example {
        self.0.args(args);
        self
    }

    /// Runs in `dir`.
    #[must_use]
    pub fn dir(mut self, dir: &Path) -> Example {
        self.0.current_dir(dir);
        self
    }

    /// Sets an environment variable.
    #[must_use]
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Example {
        self.0.env(key, value);
        self
    }

    /// The signing password (`COSIGN_PASSWORD`), or none at all (`None`: the variable is
    /// removed, so an example that needs one must prompt or fail).
    #[must_use]
    pub fn password(mut self, password: Option<&str>) -> Example {
        match password {
            Some(p) => self.0.env("COSIGN_PASSWORD", p),
            None => self.0.env_remove("COSIGN_PASSWORD"),
        };
        self
    }

    /// The command, to run some other way (measured, spawned).
    #[must_use]
    pub fn command(self) -> Command {
        self.0
    }

    /// Runs to completion with its output captured.
    ///
    /// # Panics
    /// When the example cannot be started.
    #[must_use]
    pub fn run(mut self) -> Output {
        self.0.output().expect("run the example")
    }
}

/// Runs the example `bin` with `args` in the current directory.
#[must_use]
pub fn run(bin: &str, args: &[&str]) -> Output {
    Example::new(bin).args(args).run()
}

/// Runs the example `bin` with `args` in `dir`.
#[must_use]
pub fn run_in(bin: &str, args: &[&str], dir: &Path) -> Output {
    Example::new(bin).args(args).dir(dir).run()
}

/// Standard output as text, trimmed.
#[must_use]
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

/// Standard error as text, trimmed.
#[must_use]
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_owned()
}

/// Asserts the run succeeded (the message is its standard error); returns its standard output.
///
/// # Panics
/// When the run failed.
#[track_caller]
pub fn assert_success(o: &Output) -> String {
    assert!(o.status.success(), "{}: {}", o.status, stderr(o));
    stdout(o)
}

/// Asserts the examples' failure contract: exit status `code`, nothing on standard output, and
/// a last standard-error line `error: …`; returns standard error.
///
/// # Panics
/// When the run does not fail that way.
#[track_caller]
pub fn assert_error(o: &Output, code: i32) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{err}");
    err
}

/// Whether a command is on PATH.
#[must_use]
pub fn have(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd} >/dev/null 2>&1"))
        .status()
        .is_ok_and(|s| s.success())
}

/// Requires a peer tool: fails loudly in CI, skips loudly elsewhere.
///
/// # Panics
/// In CI (`CI` set) when the tool is missing.
#[must_use]
pub fn require_tool(cmd: &str) -> bool {
    if have(cmd) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{cmd} is required in CI but not installed"
    );
    eprintln!("SKIPPED: {cmd} is not installed (scripts/test.sh installs it)");
    false
}

/// The shared corpus directory (`../shared/corpus` beside the workspace), when present;
/// otherwise says `SKIPPED` on standard error (and fails in CI, which has it).
///
/// # Panics
/// In CI (`CI` set) when the corpus is missing.
#[must_use]
pub fn shared_corpus() -> Option<PathBuf> {
    let p = workspace_root().join("../shared/corpus");
    if p.is_dir() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "../shared/corpus is required in CI"
    );
    eprintln!("SKIPPED: ../shared/corpus is not present (only CI has it)");
    None
}

/// `sub` inside the shared corpus, when the corpus is present ([`shared_corpus`]).
#[must_use]
pub fn corpus(sub: &str) -> Option<PathBuf> {
    shared_corpus().map(|c| c.join(sub))
}
