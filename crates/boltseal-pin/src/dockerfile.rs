//! The Dockerfile scanner: image references of `FROM` (directly or through a global `ARG`
//! default), `COPY --from` and `RUN --mount=from=`, and the hygiene of `RUN` commands.
//!
//! Instructions are read the way BuildKit reads them: parser directives (`# escape=`) at the
//! top, line continuations with the escape character, comment and empty lines inside a
//! continuation dropped, heredocs (`<<EOF`) consumed as the instruction's body. Every token
//! keeps the source offset of each of its bytes, so a reference is rewritten exactly where it
//! was written; a reference split across lines is reported as unsupported.

use std::collections::HashMap;

use crate::scan::{Finding, ImageRef, Lines, Origin, Rule, Scan, Target, target_of};
use crate::shell;

/// One instruction joined from its physical lines, each byte mapped back to the source.
struct Logical {
    text: String,
    map: Vec<usize>,
}

impl Logical {
    fn push(&mut self, s: &str, offset: usize) {
        self.text.push_str(s);
        self.map.extend(offset..offset + s.len());
    }

    /// The source range of `self.text[start..end]`, if it is contiguous in the source.
    fn source_range(&self, start: usize, end: usize) -> Option<std::ops::Range<usize>> {
        if start >= end {
            let at = self.map.get(start).copied().unwrap_or(0);
            return Some(at..at);
        }
        let first = *self.map.get(start)?;
        let last = *self.map.get(end - 1)?;
        (last - first == end - 1 - start).then_some(first..last + 1)
    }
}

/// A whitespace-separated word of an instruction (quotes group, they are not removed).
#[derive(Clone, Copy, Debug)]
struct Word {
    start: usize,
    end: usize,
}

fn split_words(text: &str, from: usize, escape: u8) -> Vec<Word> {
    let bytes = text.as_bytes();
    let mut words = Vec::new();
    let mut i = from;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        let mut quote = 0u8;
        while i < bytes.len() {
            let b = bytes[i];
            if quote != 0 {
                if b == escape && quote == b'"' {
                    i += 1;
                } else if b == quote {
                    quote = 0;
                }
            } else if b == b'"' || b == b'\'' {
                quote = b;
            } else if b == escape {
                i += 1;
            } else if b.is_ascii_whitespace() {
                break;
            }
            i += 1;
        }
        let end = i.min(bytes.len());
        words.push(Word { start, end });
    }
    words
}

/// The value of `raw` when it needs no unquoting beyond one pair of surrounding quotes: its
/// range inside `raw` (relative) and whether it was quoted. `None` for anything with escapes,
/// inner quotes or whitespace.
fn simple_value(raw: &str, escape: u8) -> Option<(usize, usize)> {
    let b = raw.as_bytes();
    let plain = |s: &[u8]| {
        !s.iter()
            .any(|&c| c == b'"' || c == b'\'' || c == escape || c.is_ascii_whitespace())
    };
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        let inner = &b[1..b.len() - 1];
        return plain(inner).then_some((1, b.len() - 1));
    }
    plain(b).then_some((0, b.len()))
}

/// The variable a word names when it is exactly `$NAME` or `${NAME}`.
fn whole_variable(value: &str) -> Option<&str> {
    let name = if let Some(rest) = value.strip_prefix("${") {
        rest.strip_suffix('}')?
    } else {
        value.strip_prefix('$')?
    };
    let ok = !name.is_empty()
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    ok.then_some(name)
}

/// A global `ARG` with a default usable in `FROM`.
struct ArgDefault {
    /// `Some(span)` when the default can be rewritten in place.
    span: Option<std::ops::Range<usize>>,
    value: String,
    line: usize,
    /// Index into `refs` once a `FROM` used it.
    used: Option<usize>,
}

struct Scanner<'a> {
    src: &'a str,
    lines: Lines,
    escape: u8,
    refs: Vec<ImageRef>,
    findings: Vec<Finding>,
    /// Lower-cased stage names seen so far.
    stages: Vec<String>,
    seen_from: bool,
    args: HashMap<String, ArgDefault>,
}

/// Scans a Dockerfile. Never fails: what cannot be understood is left alone, and image
/// positions that cannot be pinned in place are reported with [`Target::Unsupported`].
///
/// ```
/// use boltseal_pin::{dockerfile, Origin};
///
/// let text = "ARG BASE=node:18\nFROM ${BASE} AS build\nRUN npm install\n\
///             FROM --platform=linux/amd64 nginx:1.27\nCOPY --from=build /app /usr/share/nginx/html\n";
/// let scan = dockerfile::scan(text);
/// let written: Vec<&str> = scan.refs.iter().map(|r| r.written.as_str()).collect();
/// assert_eq!(written, ["node:18", "nginx:1.27"]);
/// assert!(matches!(scan.refs[0].origin, Origin::Arg { .. }));
/// assert_eq!(&text[scan.refs[1].span.clone()], "nginx:1.27");
/// let rules: Vec<&str> = scan.findings.iter().map(|f| f.rule.as_str()).collect();
/// assert_eq!(rules, ["unpinned-from", "npm-install", "unpinned-from"]);
/// ```
#[must_use]
pub fn scan(src: &str) -> Scan {
    let mut s = Scanner {
        src,
        lines: Lines::new(src),
        escape: b'\\',
        refs: Vec::new(),
        findings: Vec::new(),
        stages: Vec::new(),
        seen_from: false,
        args: HashMap::new(),
    };
    s.run();
    let mut refs = s.refs;
    refs.sort_by_key(|r| r.span.start);
    let mut findings = s.findings;
    findings.sort_by_key(|f| f.line);
    Scan { refs, findings }
}

/// Physical lines: (start, end) without the line break (`\n` or `\r\n`).
fn physical_lines(src: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in src.bytes().enumerate() {
        if b == b'\n' {
            let end = if i > start && src.as_bytes()[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            out.push((start, end));
            start = i + 1;
        }
    }
    if start < src.len() {
        out.push((start, src.len()));
    }
    out
}

fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix('#')?;
    let (k, v) = rest.split_once('=')?;
    let k = k.trim();
    if k.is_empty() || !k.bytes().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some((k.to_ascii_lowercase(), v.trim().to_owned()))
}

/// Heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`) in an instruction: (word, strip tabs).
fn heredoc_markers(text: &str) -> Vec<(String, bool)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < b.len() {
        if b[i] == b'<' && b[i + 1] == b'<' && (i == 0 || b[i - 1] != b'<') && b[i + 2] != b'<' {
            let mut j = i + 2;
            let strip = b.get(j) == Some(&b'-');
            if strip {
                j += 1;
            }
            let quote = match b.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    j += 1;
                    Some(q)
                }
                _ => None,
            };
            let start = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let closed = match quote {
                Some(q) => b.get(j) == Some(&q),
                None => true,
            };
            if j > start && closed && !b[start].is_ascii_digit() {
                out.push((text[start..j].to_owned(), strip));
            }
            i = j.max(i + 2);
        } else {
            i += 1;
        }
    }
    out
}

impl Scanner<'_> {
    fn run(&mut self) {
        let src = self.src;
        let phys = physical_lines(src);
        let mut i = 0;
        // Parser directives: only at the very top.
        while i < phys.len() {
            let (a, b) = phys[i];
            let line = src[a..b].trim_start_matches('\u{feff}');
            match directive(line) {
                Some((k, v)) => {
                    if k == "escape" && v == "`" {
                        self.escape = b'`';
                    }
                    i += 1;
                }
                None => break,
            }
        }
        let is_skippable = |(a, b): (usize, usize)| {
            let t = src[a..b].trim_start_matches('\u{feff}').trim_start();
            t.is_empty() || t.starts_with('#')
        };
        while i < phys.len() {
            if is_skippable(phys[i]) {
                i += 1;
                continue;
            }
            let mut logical = Logical {
                text: String::new(),
                map: Vec::new(),
            };
            loop {
                let (a, b) = phys[i];
                let content = &src[a..b];
                // A BOM before the first instruction is not part of it.
                let (content, a) = match content.strip_prefix('\u{feff}') {
                    Some(rest) => (rest, a + '\u{feff}'.len_utf8()),
                    None => (content, a),
                };
                let trimmed = content.trim_end();
                i += 1;
                if trimmed.as_bytes().last() == Some(&self.escape) {
                    logical.push(&trimmed[..trimmed.len() - 1], a);
                    while i < phys.len() && is_skippable(phys[i]) {
                        i += 1;
                    }
                    if i >= phys.len() {
                        break;
                    }
                } else {
                    logical.push(content, a);
                    break;
                }
            }
            // Heredoc bodies follow the instruction.
            let mut bodies: Vec<(usize, usize)> = Vec::new();
            let keyword = logical
                .text
                .split_ascii_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
                for (word, strip) in heredoc_markers(&logical.text) {
                    let body_start = phys.get(i).map_or(src.len(), |l| l.0);
                    let mut body_end = body_start;
                    while i < phys.len() {
                        let (a, b) = phys[i];
                        i += 1;
                        let l = &src[a..b];
                        let l = if strip { l.trim_start_matches('\t') } else { l };
                        if l == word {
                            break;
                        }
                        body_end = b;
                    }
                    bodies.push((body_start, body_end.max(body_start)));
                }
            }
            self.instruction(&logical, &keyword, &bodies);
        }
    }

    fn line_of(&self, logical: &Logical, at: usize) -> usize {
        let offset = logical
            .map
            .get(at)
            .or(logical.map.last())
            .copied()
            .unwrap_or(0);
        self.lines.line(offset)
    }

    fn instruction(&mut self, logical: &Logical, keyword: &str, bodies: &[(usize, usize)]) {
        let text = logical.text.as_str();
        let kw_start = text.len() - text.trim_start().len();
        let args_start = kw_start + keyword.len();
        let words = split_words(text, args_start, self.escape);
        match keyword {
            "ARG" if !self.seen_from => self.arg(logical, &words),
            "FROM" => {
                self.seen_from = true;
                self.from(logical, &words);
            }
            "COPY" => {
                for w in flags(text, &words) {
                    if let Some(v) = text[w.start..w.end].strip_prefix("--from=") {
                        let start = w.start + "--from=".len();
                        self.other_image(logical, start, start + v.len(), Origin::CopyFrom);
                    }
                }
            }
            "RUN" => {
                let mut script_start = text.len();
                for w in &words {
                    let word = &text[w.start..w.end];
                    if !word.starts_with("--") {
                        script_start = w.start;
                        break;
                    }
                    if let Some(v) = word.strip_prefix("--mount=") {
                        let mut at = w.start + "--mount=".len();
                        for part in v.split(',') {
                            if let Some(image) = part.strip_prefix("from=") {
                                let start = at + "from=".len();
                                self.other_image(
                                    logical,
                                    start,
                                    start + image.len(),
                                    Origin::MountFrom,
                                );
                            }
                            at += part.len() + 1;
                        }
                    }
                }
                self.run_hygiene(logical, script_start, bodies);
            }
            _ => {}
        }
    }

    fn arg(&mut self, logical: &Logical, words: &[Word]) {
        let text = logical.text.as_str();
        for w in words {
            let word = &text[w.start..w.end];
            let Some((name, raw)) = word.split_once('=') else {
                // Declared without a default: FROM cannot be pinned through it.
                self.args.remove(word);
                continue;
            };
            let value_start = w.start + name.len() + 1;
            let (span, value) = match simple_value(raw, self.escape) {
                Some((a, b)) => (
                    logical.source_range(value_start + a, value_start + b),
                    raw[a..b].to_owned(),
                ),
                None => (None, raw.to_owned()),
            };
            let line = self.line_of(logical, w.start);
            self.args.insert(
                name.to_owned(),
                ArgDefault {
                    span,
                    value,
                    line,
                    used: None,
                },
            );
        }
    }

    fn from(&mut self, logical: &Logical, words: &[Word]) {
        let text = logical.text.as_str();
        let mut platform = None;
        let mut rest = words.iter().peekable();
        while let Some(w) = rest.peek() {
            let word = &text[w.start..w.end];
            if !word.starts_with("--") {
                break;
            }
            if let Some(p) = word.strip_prefix("--platform=") {
                platform = Some(p.to_owned());
            }
            rest.next();
        }
        let Some(image) = rest.next().copied() else {
            return;
        };
        let stage = match (rest.next(), rest.next()) {
            (Some(a), Some(n)) if text[a.start..a.end].eq_ignore_ascii_case("as") => {
                Some(text[n.start..n.end].to_owned())
            }
            _ => None,
        };
        let from_line = self.line_of(logical, image.start);
        let written = &text[image.start..image.end];
        if let Some(name) = whole_variable(written) {
            self.arg_image(name, written, from_line);
        } else if !self.is_stage_or_scratch(written) {
            let origin = Origin::From {
                platform,
                stage: stage.clone(),
            };
            if let Some(idx) = self.push_ref(logical, image.start, image.end, origin)
                && self.refs[idx].written_digest().is_none()
            {
                let message = format!(
                    "FROM {written} is not pinned to a digest; pin it (name:tag@sha256:…) so the build is reproducible"
                );
                self.findings
                    .push(Finding::new(from_line, Rule::UnpinnedFrom, message));
            }
        }
        if let Some(stage) = stage {
            self.stages.push(stage.to_ascii_lowercase());
        }
    }

    fn arg_image(&mut self, name: &str, written: &str, from_line: usize) {
        let Some(arg) = self.args.get(name) else {
            let message = format!(
                "FROM {written}: build argument {name} has no default in the Dockerfile, so the image cannot be pinned here"
            );
            self.findings
                .push(Finding::new(from_line, Rule::FromBuildArg, message));
            return;
        };
        let value = arg.value.clone();
        if self.is_stage_or_scratch(&value) {
            return;
        }
        let idx = match self.args.get(name).and_then(|a| a.used) {
            Some(idx) => {
                if let Origin::Arg { used_by, .. } = &mut self.refs[idx].origin {
                    used_by.push(from_line);
                }
                idx
            }
            None => {
                let Some(arg) = self.args.get(name) else {
                    return;
                };
                let (span, target) = match &arg.span {
                    Some(span) => (span.clone(), target_of(&value)),
                    None => (
                        0..0,
                        Target::Unsupported {
                            reason: format!("the default of ARG {name} is quoted or escaped"),
                        },
                    ),
                };
                let line = arg.line;
                self.refs.push(ImageRef {
                    span,
                    line,
                    written: value.clone(),
                    origin: Origin::Arg {
                        name: name.to_owned(),
                        used_by: vec![from_line],
                    },
                    target,
                });
                let idx = self.refs.len() - 1;
                if let Some(arg) = self.args.get_mut(name) {
                    arg.used = Some(idx);
                }
                idx
            }
        };
        if self.refs[idx].written_digest().is_none() {
            let message = format!(
                "FROM {written} (ARG {name}={value}) is not pinned to a digest; pin the ARG default (name:tag@sha256:…)"
            );
            self.findings
                .push(Finding::new(from_line, Rule::UnpinnedFrom, message));
        }
    }

    fn is_stage_or_scratch(&self, image: &str) -> bool {
        let lower = image.to_ascii_lowercase();
        lower == "scratch" || self.stages.contains(&lower)
    }

    /// `COPY --from` and `RUN --mount=from=`: stage names and indexes are not images.
    fn other_image(&mut self, logical: &Logical, start: usize, end: usize, origin: Origin) {
        let value = &logical.text[start..end];
        if value.is_empty()
            || value.bytes().all(|c| c.is_ascii_digit())
            || self.is_stage_or_scratch(value)
        {
            return;
        }
        self.push_ref(logical, start, end, origin);
    }

    fn push_ref(
        &mut self,
        logical: &Logical,
        start: usize,
        end: usize,
        origin: Origin,
    ) -> Option<usize> {
        let raw = &logical.text[start..end];
        let line = self.line_of(logical, start);
        let (span, target) = match simple_value(raw, self.escape)
            .filter(|&(a, _)| a == 0)
            .and_then(|(a, b)| logical.source_range(start + a, start + b))
        {
            Some(span) => (span, target_of(raw)),
            None => {
                let at = logical.map.get(start).copied().unwrap_or(0);
                (
                    at..at,
                    Target::Unsupported {
                        reason: "the reference is quoted, escaped or split across lines".to_owned(),
                    },
                )
            }
        };
        self.refs.push(ImageRef {
            span,
            line,
            written: raw.to_owned(),
            origin,
            target,
        });
        Some(self.refs.len() - 1)
    }

    fn run_hygiene(&mut self, logical: &Logical, script_start: usize, bodies: &[(usize, usize)]) {
        let text = &logical.text[script_start.min(logical.text.len())..];
        let trimmed = text.trim_start();
        let at = script_start + (text.len() - trimmed.len());
        let line_at = self.line_of(logical, at);
        if trimmed.starts_with('[') {
            // Exec form: a JSON array of arguments.
            if let Ok(argv) = serde_json::from_str::<Vec<String>>(trimmed.trim_end()) {
                let words: Vec<(String, usize)> = argv.into_iter().map(|a| (a, line_at)).collect();
                self.findings.extend(shell::check_command(&words));
                return;
            }
        }
        let lines = &self.lines;
        let line_of = |i: usize| {
            let offset = logical
                .map
                .get(script_start + i)
                .or(logical.map.last())
                .copied()
                .unwrap_or(0);
            lines.line(offset)
        };
        let mut found = shell::check_script(text, self.escape, &line_of);
        for &(a, b) in bodies {
            let body = &self.src[a..b];
            found.extend(shell::check_script(body, b'\\', &|i| lines.line(a + i)));
        }
        self.findings.extend(found);
    }
}

/// The leading `--flag` words of an instruction.
fn flags<'w>(text: &str, words: &'w [Word]) -> impl Iterator<Item = &'w Word> {
    words
        .iter()
        .take_while(move |w| text[w.start..w.end].starts_with("--"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn written(text: &str) -> Vec<String> {
        scan(text).refs.into_iter().map(|r| r.written).collect()
    }

    #[test]
    fn stages_scratch_and_copy_from() {
        let text = "FROM golang:1.22 AS Build\nRUN go build\nFROM scratch\n\
                    COPY --from=build /out /\nCOPY --from=0 /a /b\nCOPY --from=alpine:3.20 --chown=1 /etc/x /x\n\
                    FROM build AS again\n";
        assert_eq!(written(text), ["golang:1.22", "alpine:3.20"]);
    }

    #[test]
    fn continuation_comments_and_heredoc() {
        let text = "# syntax=docker/dockerfile:1\n\nFROM \\\n  # a comment\n  --platform=$BUILDPLATFORM \\\n  node:18 AS x\n\
                    RUN <<EOF\nFROM evil:1\nnpm install\nEOF\nFROM busybox\n";
        let s = scan(text);
        let w: Vec<&str> = s.refs.iter().map(|r| r.written.as_str()).collect();
        assert_eq!(w, ["node:18", "busybox"]);
        assert_eq!(s.refs[0].line, 6);
        assert_eq!(&text[s.refs[0].span.clone()], "node:18");
        let npm: Vec<usize> = s
            .findings
            .iter()
            .filter(|f| f.rule == Rule::NpmInstall)
            .map(|f| f.line)
            .collect();
        assert_eq!(npm, [9]);
    }

    #[test]
    fn run_strings_are_not_images_but_mount_from_is() {
        let text = "FROM a:1\nRUN echo FROM b:2 && docker pull c:3\n\
                    RUN --mount=type=bind,from=tools:1.0,source=/x,target=/y make\n";
        assert_eq!(written(text), ["a:1", "tools:1.0"]);
    }

    #[test]
    fn args_in_from() {
        let text = "ARG BASE=\"node:18\"\nARG OTHER\nARG V=18\nFROM $BASE\nFROM ${BASE} AS b\nFROM ${OTHER}\nFROM node:${V}\n";
        let s = scan(text);
        assert_eq!(s.refs.len(), 2);
        assert_eq!(s.refs[0].written, "node:18");
        assert_eq!(&text[s.refs[0].span.clone()], "node:18");
        assert_eq!(
            s.refs[0].origin,
            Origin::Arg {
                name: "BASE".into(),
                used_by: vec![4, 5]
            }
        );
        assert!(matches!(s.refs[1].target, Target::Unsupported { .. }));
        assert!(s.findings.iter().any(|f| f.rule == Rule::FromBuildArg));
    }

    #[test]
    fn escape_directive_and_crlf() {
        let text = "# escape=`\r\nFROM `\r\n  mcr.microsoft.com/windows/servercore:ltsc2022\r\nRUN dir c:\\\r\n";
        let s = scan(text);
        assert_eq!(s.refs.len(), 1);
        assert_eq!(
            &text[s.refs[0].span.clone()],
            "mcr.microsoft.com/windows/servercore:ltsc2022"
        );
        assert_eq!(s.refs[0].line, 3);
    }
}
