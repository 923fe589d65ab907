//! `kyverno test`: runs `kyverno-test.yaml` files.
