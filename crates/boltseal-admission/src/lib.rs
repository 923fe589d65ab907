//! Serves Kubernetes admission reviews (AdmissionReview v1) with boltseal-policy decisions.
