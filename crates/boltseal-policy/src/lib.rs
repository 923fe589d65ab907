//! Evaluates Kyverno `ClusterPolicy` and `Policy` documents against Kubernetes resources.
