//! A real registry for a test ([`Registry`]) and a proxy that counts what is sent to it
//! ([`CountingProxy`]).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A TCP proxy to `upstream` counting HTTP/1.1 request lines sent through it, and holding each
/// request back for `delay` (a registry `delay` away: sequential round trips add up, concurrent
/// ones overlap).
pub struct CountingProxy {
    /// `127.0.0.1:PORT` to reach the upstream through.
    pub addr: String,
    /// Requests sent so far.
    pub requests: Arc<AtomicUsize>,
    /// Requests per repository since the last [`CountingProxy::take`]: `<name>` of
    /// `/v2/<name>/{manifests,blobs,referrers,tags}/…`, `""` for the others (the `/v2/` ping,
    /// token requests).
    by_repository: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl CountingProxy {
    /// Starts a proxy to `upstream` on a free loopback port (threads end with the process).
    pub fn start(upstream: String, delay: Duration) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(AtomicUsize::new(0));
        let by_repository = Arc::new(Mutex::new(BTreeMap::new()));
        let (count, repositories) = (Arc::clone(&requests), Arc::clone(&by_repository));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (mut c_read, mut s_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut s_read, mut c_write) = (server, client);
                let (count, repositories) = (Arc::clone(&count), Arc::clone(&repositories));
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 << 10];
                    let mut pending = Vec::new();
                    while let Ok(n) = c_read.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        pending.extend_from_slice(&buf[..n]);
                        let found = count_request_lines(&mut pending, &repositories);
                        count.fetch_add(found, Ordering::Relaxed);
                        if found > 0 && !delay.is_zero() {
                            std::thread::sleep(delay);
                        }
                        if s_write.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = s_write.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s_read, &mut c_write);
                    let _ = c_write.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        CountingProxy {
            addr,
            requests,
            by_repository,
        }
    }
}

impl CountingProxy {
    /// Requests per repository since the last call; resets those counts.
    pub fn take(&self) -> BTreeMap<String, usize> {
        std::mem::take(&mut *self.by_repository.lock().unwrap())
    }

    /// Requests sent so far.
    pub fn count(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

/// A CNCF distribution registry (Debian's `docker-registry`) started for one test and stopped
/// (by PID) when dropped.
pub struct Registry {
    /// `127.0.0.1:PORT`
    pub addr: String,
    child: Child,
    _dir: tempfile::TempDir,
}

fn registry_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("BOLTSEAL_REGISTRY_BIN") {
        return PathBuf::from(p);
    }
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
        let p = Path::new(dir).join("docker-registry");
        if p.exists() {
            return p;
        }
    }
    panic!(
        "docker-registry is not installed: run the README's test command (scripts/test.sh), \
         which installs Debian's docker-registry, or `apt-get install docker-registry`"
    );
}

impl Registry {
    /// Starts a registry with deletes enabled; panics if it does not come up.
    pub fn start() -> Registry {
        Self::start_with(None)
    }

    /// Starts a registry that requires HTTP Basic authentication (htpasswd with a bcrypt hash).
    pub fn start_with_htpasswd(user: &str, bcrypt_hash: &str) -> Registry {
        Self::start_with(Some(format!("{user}:{bcrypt_hash}\n")))
    }

    fn start_with(htpasswd: Option<String>) -> Registry {
        let bin = registry_binary();
        for _attempt in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let dir = tempfile::tempdir().unwrap();
            let config = dir.path().join("config.yml");
            let auth = match &htpasswd {
                Some(line) => {
                    let file = dir.path().join("htpasswd");
                    std::fs::write(&file, line).unwrap();
                    format!(
                        "auth:\n  htpasswd:\n    realm: boltseal-test\n    path: {}\n",
                        file.display()
                    )
                }
                None => String::new(),
            };
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\nstorage:\n  cache:\n    blobdescriptor: inmemory\n  \
                     filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  \
                     addr: 127.0.0.1:{port}\n{auth}",
                    dir.path().join("data").display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let child = Command::new(&bin)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start docker-registry");
            let mut reg = Registry {
                addr: format!("127.0.0.1:{port}"),
                child,
                _dir: dir,
            };
            if reg.wait_ready() {
                return reg;
            }
        }
        panic!("docker-registry did not become ready");
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut s) = TcpStream::connect(&self.addr) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let req = format!(
                    "GET /v2/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                    self.addr
                );
                if s.write_all(req.as_bytes()).is_ok() {
                    let mut buf = String::new();
                    let _ = s.read_to_string(&mut buf);
                    if buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.1 401") {
                        return true;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// A repository reference in this registry: `127.0.0.1:PORT/<path>`.
    pub fn repo(&self, path: &str) -> String {
        format!("{}/{path}", self.addr)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Counts the complete HTTP/1.1 request lines in `pending` by repository and drops what was
/// read up to the last of them (keeping at most 16 KiB, for a line split between reads).
fn count_request_lines(pending: &mut Vec<u8>, counts: &Mutex<BTreeMap<String, usize>>) -> usize {
    let needle = b" HTTP/1.1\r\n";
    let mut found = 0;
    while let Some(end) = pending.windows(needle.len()).position(|w| w == needle) {
        let start = pending[..end]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = String::from_utf8_lossy(&pending[start..end]).into_owned();
        let target = line.split(' ').nth(1).unwrap_or("");
        *counts
            .lock()
            .unwrap()
            .entry(repository_of(target))
            .or_default() += 1;
        found += 1;
        pending.drain(..end + needle.len());
    }
    let excess = pending.len().saturating_sub(16 << 10);
    pending.drain(..excess);
    found
}

/// The repository a registry API path names (`/v2/<name>/manifests/<ref>` → `<name>`), or
/// `""`.
pub fn repository_of(target: &str) -> String {
    let path = target.split('?').next().unwrap_or("");
    let Some(rest) = path.strip_prefix("/v2/") else {
        return String::new();
    };
    ["/manifests/", "/blobs/", "/referrers/", "/tags/"]
        .iter()
        .filter_map(|marker| rest.find(marker))
        .min()
        .map_or_else(String::new, |i| rest[..i].to_owned())
}
