//! `dir:` scans: the same index, built from a directory tree instead of layers. Symbolic
//! links are recorded, never followed while walking.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::index::{FileIndex, Node, NodeKind};
use crate::walk::{Budget, Limits, Want};

pub(crate) fn walk_dir(root: &Path, limits: &Limits, budget: &Budget) -> Result<FileIndex> {
    let what = root.display().to_string();
    let meta = std::fs::metadata(root).map_err(|e| Error::io(&what, e))?;
    if !meta.is_dir() {
        return Err(Error::invalid(&what, "not a directory"));
    }
    let mut index = FileIndex::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir.display().to_string(), e))?;
            let seen = budget.entries.fetch_add(1, Ordering::Relaxed) + 1;
            if seen > limits.max_entries {
                return Err(Error::Limit {
                    what,
                    limit_name: "entries",
                    limit: limits.max_entries,
                    seen,
                });
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{prefix}/{name}");
            let ft = entry
                .file_type()
                .map_err(|e| Error::io(entry.path().display().to_string(), e))?;
            let md = entry
                .metadata()
                .map_err(|e| Error::io(entry.path().display().to_string(), e))?;
            let mode = {
                use std::os::unix::fs::PermissionsExt;
                md.permissions().mode() & 0o7777
            };
            let node = if ft.is_symlink() {
                use std::os::unix::ffi::OsStrExt;
                let target = std::fs::read_link(entry.path()).unwrap_or_default();
                let target = crate::walk::link_target(&path, target.as_os_str().as_bytes(), limits)
                    .map_err(|r| {
                        Error::invalid(
                            entry.path().display().to_string(),
                            format!("symbolic link {r}"),
                        )
                    })?;
                Node::new(NodeKind::Symlink(target), 0, 0, mode)
            } else if ft.is_dir() {
                if depth + 1 < limits.max_depth {
                    stack.push((entry.path(), path.clone(), depth + 1));
                }
                Node::new(NodeKind::Dir, 0, 0, mode)
            } else if ft.is_file() {
                let size = md.len();
                let mut node = Node::new(NodeKind::File, 0, size, mode);
                let want = crate::catalog::wants(&path, true);
                let executable = mode & 0o111 != 0;
                if (want == Want::JavaArchive || executable) && size <= limits.max_file_bytes {
                    let bytes = read_counted(&entry.path(), budget)?;
                    node.elf = bytes.starts_with(b"\x7fELF");
                    if want == Want::JavaArchive {
                        if let Ok(records) = crate::formats::java::read_java_archive(&bytes) {
                            node.evidence.push(crate::index::Evidence::Java(records));
                        }
                    } else {
                        node.evidence = crate::walk::binary_evidence(&bytes);
                    }
                } else if want == Want::Content && size <= limits.max_file_bytes {
                    budget.keep(size, limits, || entry.path().display().to_string())?;
                    let bytes = read_counted(&entry.path(), budget)?;
                    node.elf = bytes.starts_with(b"\x7fELF");
                    node.content = Some(Arc::from(bytes));
                }
                node
            } else {
                Node::new(NodeKind::Other, 0, 0, mode)
            };
            index.insert(path, node);
        }
    }
    Ok(index)
}

/// Reads a file, counting its bytes against the scan's total.
fn read_counted(path: &Path, budget: &Budget) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    budget
        .bytes
        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
    Ok(bytes)
}
