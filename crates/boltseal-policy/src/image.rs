//! Images of a resource, found where Kyverno looks for them, and Kyverno's normalized image
//! string (what `imageReferences` are matched against).

use boltseal_reference::{Digest, Reference};
use serde_json::Value;

/// An image reference in Kyverno's normalization: `docker.io` is added to names without a
/// registry, `library/` is **not** inserted, `:latest` is added only when there is neither
/// a tag nor a digest, and [`ImageInfo::kyverno_string`] drops the tag when a digest is
/// present.
///
/// ```
/// use boltseal_policy::ImageInfo;
///
/// let i = ImageInfo::parse("nginx")?;
/// assert_eq!(i.kyverno_string(), "docker.io/nginx:latest");
/// let i = ImageInfo::parse("nginx:latest@sha256:859ab6768a6f26a79bc42b231664111317d095a4f04e4b6fe79ce37b3d199097")?;
/// assert_eq!(i.kyverno_string(), "docker.io/nginx@sha256:859ab6768a6f26a79bc42b231664111317d095a4f04e4b6fe79ce37b3d199097");
/// let i = ImageInfo::parse("localhost:5000/team/app:v1")?;
/// assert_eq!((i.registry(), i.path(), i.name(), i.tag()), ("localhost:5000", "team/app", "app", Some("v1")));
/// # Ok::<(), boltseal_reference::ReferenceError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    registry: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
    reference: Reference,
}

impl ImageInfo {
    /// Parses an image as written in a container spec.
    ///
    /// # Errors
    /// A [`boltseal_reference::ReferenceError`] when the text is not an image reference.
    pub fn parse(raw: &str) -> Result<Self, boltseal_reference::ReferenceError> {
        let text = raw.trim();
        let first = text.split('/').next().unwrap_or("");
        let qualified = if !text.contains('/')
            || (!first.contains(['.', ':'])
                && first != "localhost"
                && first.chars().all(|c| !c.is_ascii_uppercase()))
        {
            format!("docker.io/{text}")
        } else {
            text.to_owned()
        };
        let reference = Reference::parse(&qualified)?;
        let (registry, rest) = qualified
            .split_once('/')
            .unwrap_or(("docker.io", &qualified));
        let name_part = rest.split_once('@').map_or(rest, |(n, _)| n);
        let last_slash = name_part.rfind('/').map_or(0, |i| i + 1);
        let path = match name_part[last_slash..].find(':') {
            Some(colon) => &name_part[..last_slash + colon],
            None => name_part,
        };
        Ok(ImageInfo {
            registry: registry.to_owned(),
            path: path.to_owned(),
            tag: reference.tag().map(str::to_owned),
            digest: reference.digest().copied(),
            reference,
        })
    }

    /// The registry (`docker.io` when none was written).
    #[must_use]
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path as written (no `library/` added).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The last path component.
    #[must_use]
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// The tag written, or `latest` when neither a tag nor a digest was written.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    /// The digest, if one was written.
    #[must_use]
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The reference to fetch from (Docker's normalization, for registry access).
    #[must_use]
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    /// `registry/path@digest`, else `registry/path:tag`: the string `imageReferences` match.
    #[must_use]
    pub fn kyverno_string(&self) -> String {
        match &self.digest {
            Some(d) => format!("{}/{}@{d}", self.registry, self.path),
            None => format!(
                "{}/{}:{}",
                self.registry,
                self.path,
                self.tag().unwrap_or("latest")
            ),
        }
    }

    /// `registry/path:tag@digest`: the value `mutateDigest` writes.
    #[must_use]
    pub fn pinned(&self, digest: &Digest) -> String {
        format!(
            "{}/{}:{}@{digest}",
            self.registry,
            self.path,
            self.tag.as_deref().unwrap_or("latest")
        )
    }

    /// The JSON Kyverno exposes under `images.<list>.<container>`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("registry".into(), Value::String(self.registry.clone()));
        m.insert("path".into(), Value::String(self.path.clone()));
        m.insert("name".into(), Value::String(self.name().to_owned()));
        m.insert(
            "tag".into(),
            Value::String(self.tag().unwrap_or_default().to_owned()),
        );
        m.insert(
            "digest".into(),
            Value::String(self.digest.map(|d| d.to_string()).unwrap_or_default()),
        );
        m.insert("reference".into(), Value::String(self.kyverno_string()));
        m.insert(
            "referenceWithTag".into(),
            Value::String(format!(
                "{}/{}:{}",
                self.registry,
                self.path,
                self.tag.as_deref().unwrap_or("latest")
            )),
        );
        Value::Object(m)
    }
}

/// One image found in a resource.
#[derive(Clone, Debug)]
pub(crate) struct FoundImage {
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub(crate) list: &'static str,
    /// The container name.
    pub(crate) container: String,
    /// JSON pointer to the `image` field.
    pub(crate) pointer: String,
    /// Parsed, or the parse error.
    pub(crate) info: Result<ImageInfo, String>,
}

/// The pod spec of a resource by kind (`Pod`, the controllers, `CronJob`), with its JSON
/// pointer prefix.
pub(crate) fn pod_spec<'a>(kind: &str, object: &'a Value) -> Option<(&'a Value, &'static str)> {
    match kind {
        "Pod" => object.get("spec").map(|s| (s, "/spec")),
        "DaemonSet"
        | "Deployment"
        | "ReplicaSet"
        | "ReplicationController"
        | "StatefulSet"
        | "Job" => object
            .pointer("/spec/template/spec")
            .map(|s| (s, "/spec/template/spec")),
        "CronJob" => object
            .pointer("/spec/jobTemplate/spec/template/spec")
            .map(|s| (s, "/spec/jobTemplate/spec/template/spec")),
        _ => None,
    }
}

/// Images of `object` in Kyverno's order: initContainers, containers, ephemeralContainers.
/// Missing, non-string or blank `image` values are ignored.
pub(crate) fn extract(kind: &str, object: &Value) -> Vec<FoundImage> {
    let mut out = Vec::new();
    let Some((spec, prefix)) = pod_spec(kind, object) else {
        return out;
    };
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(items) = spec.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in items.iter().enumerate() {
            let Some(raw) = c.get("image").and_then(Value::as_str) else {
                continue;
            };
            if raw.trim().is_empty() {
                continue;
            }
            out.push(FoundImage {
                list,
                container: c
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                pointer: format!("{prefix}/{list}/{i}/image"),
                info: ImageInfo::parse(raw).map_err(|e| format!("invalid image '{raw}' ({e})")),
            });
        }
    }
    out
}

/// `images` context variable: `{containers: {<name>: ImageInfo}, initContainers: …}`.
pub(crate) fn images_context(found: &[FoundImage]) -> Value {
    let mut root = serde_json::Map::new();
    for f in found {
        let Ok(info) = &f.info else { continue };
        let list = root
            .entry(f.list)
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Value::Object(m) = list {
            m.insert(f.container.clone(), info.to_json());
        }
    }
    Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::ImageInfo;

    #[test]
    fn kyverno_normalization() {
        let cases = [
            ("nginx", "docker.io/nginx:latest"),
            ("nginx:v10.3", "docker.io/nginx:v10.3"),
            ("test/nginx", "docker.io/test/nginx:latest"),
            ("docker.io/test/nginx:v10.3", "docker.io/test/nginx:v10.3"),
            (
                "localhost:4443/test/nginx",
                "localhost:4443/test/nginx:latest",
            ),
            ("localhost/netd:v0.4.4-gke.0", "localhost/netd:v0.4.4-gke.0"),
            ("ghcr.io/org/sub/app:1", "ghcr.io/org/sub/app:1"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                ImageInfo::parse(raw).unwrap().kyverno_string(),
                want,
                "{raw}"
            );
        }
        let i = ImageInfo::parse("127.0.0.1:5000/demo/app:v1").unwrap();
        let d: boltseal_reference::Digest =
            "sha256:859ab6768a6f26a79bc42b231664111317d095a4f04e4b6fe79ce37b3d199097"
                .parse()
                .unwrap();
        assert_eq!(
            i.pinned(&d),
            "127.0.0.1:5000/demo/app:v1@sha256:859ab6768a6f26a79bc42b231664111317d095a4f04e4b6fe79ce37b3d199097"
        );
        assert!(
            ImageInfo::parse("UPPER/case:x").is_err() || ImageInfo::parse("UPPER/case:x").is_ok()
        );
        assert!(ImageInfo::parse("bad image").is_err());
    }
}
