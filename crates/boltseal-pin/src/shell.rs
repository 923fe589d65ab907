//! Lock-file hygiene of shell commands in `RUN`: `npm install` where `npm ci` belongs, `yarn`
//! without a frozen lock file, `pip install` without hashes or a lock.
//!
//! The shell is read just well enough to find simple commands: words with quotes, separated
//! by `&&`, `||`, `;`, `|`, `&`, parentheses and line breaks. Nothing is executed or expanded.

use crate::scan::{Finding, Rule};

/// Splits a script into simple commands of (word, 1-based line) pairs.
fn commands(
    script: &str,
    escape: u8,
    line_of: &dyn Fn(usize) -> usize,
) -> Vec<Vec<(String, usize)>> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut cmd: Vec<(String, usize)> = Vec::new();
    let mut word: Vec<u8> = Vec::new();
    let mut word_start = None;
    let mut i = 0;
    let finish_word =
        |word: &mut Vec<u8>, start: &mut Option<usize>, cmd: &mut Vec<(String, usize)>| {
            if let Some(s) = start.take() {
                cmd.push((String::from_utf8_lossy(word).into_owned(), line_of(s)));
            }
            word.clear();
        };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' => {
                word_start.get_or_insert(i);
                let q = c;
                i += 1;
                while i < b.len() && b[i] != q {
                    if q == b'"' && b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    word.push(b[i]);
                    i += 1;
                }
                i += 1;
                continue;
            }
            _ if c == escape => {
                // An escaped line break joins lines; any other escaped byte is literal.
                if let Some(&n) = b.get(i + 1)
                    && n != b'\n'
                    && n != b'\r'
                {
                    word_start.get_or_insert(i);
                    word.push(n);
                }
                i += 2;
                continue;
            }
            b'#' if word_start.is_none() => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b';' | b'&' | b'|' | b'\n' | b'(' | b')' => {
                finish_word(&mut word, &mut word_start, &mut cmd);
                if !cmd.is_empty() {
                    out.push(std::mem::take(&mut cmd));
                }
            }
            _ if c.is_ascii_whitespace() => finish_word(&mut word, &mut word_start, &mut cmd),
            _ => {
                word_start.get_or_insert(i);
                word.push(c);
            }
        }
        i += 1;
    }
    finish_word(&mut word, &mut word_start, &mut cmd);
    if !cmd.is_empty() {
        out.push(cmd);
    }
    out
}

/// Findings for a shell script.
pub(crate) fn check_script(
    script: &str,
    escape: u8,
    line_of: &dyn Fn(usize) -> usize,
) -> Vec<Finding> {
    commands(script, escape, line_of)
        .iter()
        .flat_map(|c| check_command(c))
        .collect()
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Findings for one simple command given as words (with their lines).
pub(crate) fn check_command(words: &[(String, usize)]) -> Vec<Finding> {
    let mut i = 0;
    // Environment assignments and wrappers before the program.
    while let Some((w, _)) = words.get(i) {
        let assignment = w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        });
        if assignment
            || matches!(
                w.as_str(),
                "sudo" | "env" | "time" | "exec" | "command" | "nice"
            )
        {
            i += 1;
        } else {
            break;
        }
    }
    let Some((program, line)) = words.get(i) else {
        return Vec::new();
    };
    let program = basename(program);
    let args = &words[i + 1..];
    let line = *line;
    match program {
        "npm" => npm(args, line),
        "yarn" => yarn(args, line),
        p if is_pip(p) => pip(args, line),
        p if p.starts_with("python") => match (args.first(), args.get(1)) {
            (Some((m, _)), Some((pip_name, _))) if m == "-m" && is_pip(pip_name) => {
                pip(&args[2..], line)
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn is_pip(p: &str) -> bool {
    p == "pip"
        || p == "pip3"
        || p.strip_prefix("pip3.")
            .is_some_and(|v| v.bytes().all(|c| c.is_ascii_digit()))
}

fn npm(args: &[(String, usize)], line: usize) -> Vec<Finding> {
    const VALUE_FLAGS: &[&str] = &[
        "--prefix",
        "-C",
        "--cache",
        "--registry",
        "--userconfig",
        "-w",
        "--workspace",
    ];
    let mut i = 0;
    while let Some((w, _)) = args.get(i) {
        if !w.starts_with('-') {
            break;
        }
        i += if VALUE_FLAGS.contains(&w.as_str()) {
            2
        } else {
            1
        };
    }
    let Some((sub, _)) = args.get(i) else {
        return Vec::new();
    };
    if !matches!(
        sub.as_str(),
        "install"
            | "i"
            | "in"
            | "ins"
            | "inst"
            | "insta"
            | "instal"
            | "isnt"
            | "isnta"
            | "isntal"
            | "isntall"
    ) {
        return Vec::new();
    }
    let rest = &args[i + 1..];
    let global = rest.iter().any(|(w, _)| w == "-g" || w == "--global");
    let named = rest.iter().any(|(w, _)| !w.starts_with('-'));
    if global || named {
        return Vec::new();
    }
    vec![Finding::new(
        line,
        Rule::NpmInstall,
        format!(
            "`npm {sub}` resolves versions anew and may rewrite the lock file; use `npm ci` with a committed package-lock.json"
        ),
    )]
}

fn yarn(args: &[(String, usize)], line: usize) -> Vec<Finding> {
    let sub = args
        .iter()
        .find(|(w, _)| !w.starts_with('-'))
        .map(|(w, _)| w.as_str());
    if !matches!(sub, None | Some("install")) {
        return Vec::new();
    }
    let frozen = args
        .iter()
        .any(|(w, _)| w == "--frozen-lockfile" || w == "--immutable");
    if frozen {
        return Vec::new();
    }
    vec![Finding::new(
        line,
        Rule::YarnInstall,
        "`yarn install` may update yarn.lock; use `yarn install --frozen-lockfile` (v1) or `--immutable` (v2+)".to_owned(),
    )]
}

fn pip(args: &[(String, usize)], line: usize) -> Vec<Finding> {
    const VALUE_FLAGS: &[&str] = &[
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--trusted-host",
        "--progress-bar",
        "--src",
        "--upgrade-strategy",
        "--cache-dir",
        "--log",
        "--proxy",
        "--timeout",
        "--retries",
        "--no-binary",
        "--only-binary",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "--config-settings",
        "-C",
        "--report",
        "--python",
        "--global-option",
    ];
    let Some(pos) = args.iter().position(|(w, _)| !w.starts_with('-')) else {
        return Vec::new();
    };
    if args[pos].0 != "install" {
        return Vec::new();
    }
    let mut hashes = false;
    let mut requirements = Vec::new();
    let mut named = Vec::new();
    let mut i = pos + 1;
    while let Some((w, _)) = args.get(i) {
        i += 1;
        if w == "--require-hashes" {
            hashes = true;
        } else if w == "-r" || w == "--requirement" {
            if let Some((f, _)) = args.get(i) {
                requirements.push(f.clone());
                i += 1;
            }
        } else if let Some(f) = w.strip_prefix("--requirement=") {
            requirements.push(f.to_owned());
        } else if let Some(f) = w
            .strip_prefix("-r")
            .filter(|f| !f.is_empty() && !w.starts_with("--"))
        {
            requirements.push(f.to_owned());
        } else if VALUE_FLAGS.contains(&w.as_str()) {
            i += 1;
        } else if w.starts_with('-') {
        } else if !(w.starts_with('.')
            || w.starts_with('/')
            || w.starts_with('~')
            || w.contains('/'))
        {
            named.push(w.clone());
        }
    }
    if hashes {
        return Vec::new();
    }
    if !named.is_empty() {
        return vec![Finding::new(
            line,
            Rule::PipInstall,
            format!(
                "`pip install {}` installs without hashes or a lock file; install from a requirements file with --hash entries (pip install --require-hashes -r ...)",
                named.join(" ")
            ),
        )];
    }
    if !requirements.is_empty() {
        let mut f = Finding::new(
            line,
            Rule::PipRequirementsWithoutHashes,
            format!(
                "`pip install -r {}` without --require-hashes; give every requirement a --hash (pip-compile --generate-hashes)",
                requirements.join(" -r ")
            ),
        );
        f.requirement_files = requirements;
        return vec![f];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(script: &str) -> Vec<&'static str> {
        check_script(script, b'\\', &|_| 1)
            .iter()
            .map(|f| f.rule.as_str())
            .collect()
    }

    #[test]
    fn npm_and_yarn() {
        assert_eq!(rules("npm install"), ["npm-install"]);
        assert_eq!(rules("cd app && npm i --production"), ["npm-install"]);
        assert!(rules("npm ci && npm run build").is_empty());
        assert!(rules("npm install -g pnpm@9").is_empty());
        assert!(rules("echo 'npm install' # npm install").is_empty());
        assert_eq!(rules("yarn"), ["yarn-install"]);
        assert!(rules("yarn install --frozen-lockfile").is_empty());
    }

    #[test]
    fn pip() {
        assert_eq!(rules("pip install flask==3.0"), ["pip-install"]);
        assert_eq!(
            rules("python3 -m pip install --upgrade pip"),
            ["pip-install"]
        );
        assert_eq!(
            rules("pip3 install -r requirements.txt"),
            ["pip-requirements-without-hashes"]
        );
        assert!(rules("pip install --require-hashes -r requirements.txt").is_empty());
        assert!(rules("pip install --no-cache-dir .").is_empty());
        assert!(rules("FOO=1 sudo pip install -e ./lib").is_empty());
        let f = check_script("pip install -rreq.txt --requirement=dev.txt", b'\\', &|_| 1);
        assert_eq!(f[0].requirement_files, ["req.txt", "dev.txt"]);
    }
}
