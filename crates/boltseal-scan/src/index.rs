//! The squashed file index: every path visible in the image (after whiteouts), with the layer
//! it came from, its size and mode, link targets, and the contents catalogers asked for.

use std::collections::BTreeMap;
use std::sync::Arc;

/// What a path is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link, to its target as an absolute normalized path (a relative target is
    /// taken from the link's directory, `..` stops at the image root).
    Symlink(String),
    /// A hard link to another path of the image (absolute, normalized).
    Hardlink(String),
    /// A device, FIFO or socket.
    Other,
}

/// One visible path.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Node {
    /// File, directory or link.
    pub kind: NodeKind,
    /// Index of the layer it came from (0 = bottom); 0 for directory scans.
    pub layer: u32,
    /// Size in bytes (regular files).
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Whether the first bytes are an ELF header (regular files only).
    pub elf: bool,
    /// The contents, when a cataloger needs them.
    pub content: Option<Arc<[u8]>>,
    /// What was extracted from the file during the walk (Go build info, `cargo auditable`
    /// data, Java archive metadata) when its bytes were too large to keep.
    pub evidence: Vec<Evidence>,
}

/// Package evidence extracted from a file while its layer streamed by.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Evidence {
    /// Go build info of an executable.
    Go(crate::formats::golang::BuildInfo),
    /// `cargo auditable` dependency data of an executable.
    Rust(Vec<crate::formats::auditable::AuditablePackage>),
    /// The records of a Java archive and its nested archives.
    Java(Vec<crate::formats::java::JavaArchiveRecord>),
}

impl Node {
    pub(crate) fn new(kind: NodeKind, layer: u32, size: u64, mode: u32) -> Self {
        Node {
            kind,
            layer,
            size,
            mode,
            elf: false,
            content: None,
            evidence: Vec::new(),
        }
    }
}

/// What one layer changed: whiteouts and opaque directories (which hide lower layers only),
/// then the entries it adds.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct LayerChanges {
    /// Directories whose lower-layer children are hidden (`.wh..wh..opq`); `/` hides everything.
    pub opaque: Vec<String>,
    /// Paths deleted from lower layers (`.wh.<name>`).
    pub whiteouts: Vec<String>,
    /// Paths added or replaced, in tar order.
    pub entries: Vec<(String, Node)>,
}

/// The squashed view of an image or directory: absolute normalized paths (`/etc/os-release`)
/// to what is visible there.
#[derive(Debug, Default)]
pub struct FileIndex {
    nodes: BTreeMap<String, Node>,
}

/// How many symbolic links one lookup may follow.
const MAX_LINK_HOPS: usize = 40;

impl FileIndex {
    /// An empty index.
    #[must_use]
    pub fn new() -> Self {
        FileIndex::default()
    }

    /// Squashes layers, bottom first: each layer's whiteouts and opaque directories remove
    /// what lower layers put there, then its entries are added; a non-directory replacing a
    /// directory hides the directory's children.
    #[must_use]
    pub fn squash(layers: impl IntoIterator<Item = LayerChanges>) -> Self {
        let mut index = FileIndex::new();
        for layer in layers {
            index.apply(layer);
        }
        index
    }

    /// Applies one layer on top of the index.
    pub fn apply(&mut self, layer: LayerChanges) {
        for dir in &layer.opaque {
            self.remove_children(dir);
        }
        for path in &layer.whiteouts {
            self.nodes.remove(path);
            self.remove_children(path);
        }
        for (path, node) in layer.entries {
            if node.kind != NodeKind::Dir
                && self
                    .nodes
                    .get(&path)
                    .is_some_and(|old| old.kind == NodeKind::Dir)
            {
                self.remove_children(&path);
            }
            self.nodes.insert(path, node);
        }
    }

    fn remove_children(&mut self, dir: &str) {
        let prefix = if dir == "/" {
            "/".to_owned()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }

    /// Inserts a node (directory scans).
    pub fn insert(&mut self, path: String, node: Node) {
        self.nodes.insert(path, node);
    }

    /// The node at exactly `path` (links not followed).
    #[must_use]
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Number of visible paths.
    #[must_use]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether nothing is visible.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Every visible path in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Paths under `dir` (all descendants), in order.
    pub fn under<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a str, &'a Node)> + 'a {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.nodes
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Resolves `path` to the path of what it names, following symbolic links in every
    /// component. Links are resolved inside the image root: `..` at the root stays at the root
    /// and absolute targets start at the image root. `None` when a component is missing or
    /// more than 40 links are followed (a loop).
    #[must_use]
    pub fn resolve(&self, path: &str) -> Option<String> {
        let mut pending: Vec<String> = split(path).into_iter().rev().collect();
        let mut current: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(component) = pending.pop() {
            match component.as_str() {
                "." => continue,
                ".." => {
                    current.pop();
                    continue;
                }
                _ => {}
            }
            current.push(component);
            let joined = join(&current);
            match self.nodes.get(&joined).map(|n| &n.kind) {
                Some(NodeKind::Symlink(target)) => {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return None;
                    }
                    current.pop();
                    if target.starts_with('/') {
                        current.clear();
                    }
                    for c in split(target).into_iter().rev() {
                        pending.push(c);
                    }
                }
                Some(_) => {}
                // A directory may exist only implicitly (entries below it, no entry of its
                // own); keep going and let the final lookup decide.
                None if !pending.is_empty() => {}
                None => return None,
            }
        }
        let out = join(&current);
        if out == "/" || self.nodes.contains_key(&out) {
            Some(out)
        } else {
            None
        }
    }

    /// The node `path` names after following symbolic and hard links.
    #[must_use]
    pub fn lookup(&self, path: &str) -> Option<(String, &Node)> {
        let resolved = self.resolve(path)?;
        let node = self.nodes.get(&resolved)?;
        if let NodeKind::Hardlink(target) = &node.kind {
            let t = self.resolve(target)?;
            let n = self.nodes.get(&t)?;
            return Some((t, n));
        }
        Some((resolved, node))
    }

    /// The contents of the file `path` names (links followed), when they were kept.
    #[must_use]
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        self.lookup(path)
            .and_then(|(_, n)| n.content.as_deref())
            .or_else(|| self.nodes.get(path).and_then(|n| n.content.as_deref()))
    }

    /// Gives hard links the contents of their targets when only the target's were kept.
    pub fn link_hardlink_contents(&mut self) {
        let mut updates = Vec::new();
        for (path, node) in &self.nodes {
            if let NodeKind::Hardlink(target) = &node.kind
                && node.content.is_none()
                && let Some(t) = self.nodes.get(target)
            {
                updates.push((
                    path.clone(),
                    t.content.clone(),
                    t.size,
                    t.elf,
                    t.evidence.clone(),
                ));
            }
        }
        for (path, content, size, elf, evidence) in updates {
            if let Some(n) = self.nodes.get_mut(&path) {
                n.content = content;
                n.evidence = evidence;
                n.size = size;
                n.elf = elf;
            }
        }
    }
}

fn split(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn join(components: &[String]) -> String {
    if components.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::new();
    for c in components {
        out.push('/');
        out.push_str(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(layer: u32, text: &str) -> Node {
        let mut n = Node::new(NodeKind::File, layer, text.len() as u64, 0o644);
        n.content = Some(Arc::from(text.as_bytes()));
        n
    }

    #[test]
    fn whiteouts_hide_lower_layers_only() {
        let l0 = LayerChanges {
            entries: vec![
                ("/a/x".into(), file(0, "x")),
                ("/a/y".into(), file(0, "y")),
                ("/b/z".into(), file(0, "z")),
            ],
            ..LayerChanges::default()
        };
        let l1 = LayerChanges {
            opaque: vec!["/a".into()],
            whiteouts: vec!["/b".into()],
            entries: vec![("/a/new".into(), file(1, "n"))],
        };
        let idx = FileIndex::squash([l0, l1]);
        let paths: Vec<&str> = idx.iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["/a/new"]);
    }

    #[test]
    fn opaque_root_hides_everything_below() {
        let l0 = LayerChanges {
            entries: vec![("/etc/passwd".into(), file(0, "root"))],
            ..LayerChanges::default()
        };
        let l1 = LayerChanges {
            opaque: vec!["/".into()],
            ..LayerChanges::default()
        };
        assert!(FileIndex::squash([l0, l1]).is_empty());
    }

    #[test]
    fn symlinks_stay_inside_the_root() {
        let mut idx = FileIndex::new();
        idx.insert("/etc/os-release".into(), file(0, "ID=x"));
        idx.insert(
            "/usr/lib/os-release".into(),
            Node::new(
                NodeKind::Symlink("../../../../etc/os-release".into()),
                0,
                0,
                0,
            ),
        );
        idx.insert(
            "/escape".into(),
            Node::new(NodeKind::Symlink("/../../../etc".into()), 0, 0, 0),
        );
        idx.insert(
            "/loop".into(),
            Node::new(NodeKind::Symlink("loop".into()), 0, 0, 0),
        );
        assert_eq!(idx.read("/usr/lib/os-release"), Some(&b"ID=x"[..]));
        assert_eq!(idx.read("/escape/os-release"), Some(&b"ID=x"[..]));
        assert_eq!(idx.resolve("/loop"), None);
    }
}
