#!/usr/bin/env python3
"""A TUF repository for boltseal-tuf's tests, written with python-tuf's metadata API.

An implementation independent of the client under test (tough) signs and lays out the
repository the way Sigstore's is laid out: consistent snapshots, versioned snapshot and targets
metadata, targets named `<sha256>.<name>`. Private keys stay in STATE/keys.json so that later
steps can publish new versions.

    tuf_repo.py init STATE TRUSTED_ROOT SIGNING_CONFIG   repository version 1 in STATE/repo
    tuf_repo.py rotate-root STATE     root v(N+1) with new root and timestamp keys, signed by
                                      the old and the new root keys; a new timestamp
    tuf_repo.py publish STATE         new snapshot and timestamp versions (same targets)
    tuf_repo.py expire-timestamp STATE  a new timestamp version that expired yesterday
    tuf_repo.py rollback-timestamp STATE  republish the timestamp of version 1 (validly signed)
    tuf_repo.py rollback-snapshot STATE   a new timestamp naming snapshot version 1
    tuf_repo.py tamper STATE NAME     replace the bytes of target NAME (same length)
"""

import hashlib
import json
import os
import shutil
import sys
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.signer import CryptoSigner, SSlibKey
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

ROLES = ("root", "targets", "snapshot", "timestamp")


def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


def new_key():
    private = Ed25519PrivateKey.generate()
    return private.private_bytes_raw().hex()


def signer(seed_hex):
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))
    public = SSlibKey.from_crypto(private.public_key())
    return CryptoSigner(private, public)


class Repo:
    def __init__(self, state):
        self.state = state
        self.dir = os.path.join(state, "repo")
        with open(os.path.join(state, "keys.json")) as f:
            self.keys = json.load(f)

    def save_keys(self):
        with open(os.path.join(self.state, "keys.json"), "w") as f:
            json.dump(self.keys, f)

    def path(self, name):
        return os.path.join(self.dir, name)

    def load(self, name):
        return Metadata.from_file(self.path(name))

    def version(self, name, field):
        if not os.path.exists(self.path(name)):
            return 1
        return field(self.load(name).signed) + 1

    def write(self, md, *names):
        for name in names:
            md.to_file(self.path(name), JSONSerializer(compact=False))

    def sign(self, md, *roles):
        md.signatures.clear()
        for role in roles:
            md.sign(signer(self.keys[role]), append=True)

    def publish_snapshot(self, targets_version):
        version = self.version("timestamp.json", lambda t: t.snapshot_meta.version)
        snapshot = Snapshot(version=version, expires=now() + timedelta(days=7))
        snapshot.meta["targets.json"] = MetaFile(version=targets_version)
        md = Metadata(snapshot)
        self.sign(md, "snapshot")
        self.write(md, f"{version}.snapshot.json")
        return version

    def publish_timestamp(self, snapshot_version, expires=None):
        version = self.version("timestamp.json", lambda t: t.version)
        timestamp = Timestamp(version=version, expires=expires or now() + timedelta(days=1))
        timestamp.snapshot_meta = MetaFile(version=snapshot_version)
        md = Metadata(timestamp)
        self.sign(md, "timestamp")
        self.write(md, "timestamp.json")
        shutil.copy(self.path("timestamp.json"), os.path.join(self.state, f"timestamp.{version}.json"))

    def current_snapshot(self):
        return self.load("timestamp.json").signed.snapshot_meta.version

    def current_targets(self):
        version = self.current_snapshot()
        return self.load(f"{version}.snapshot.json").signed.meta["targets.json"].version

    def root(self):
        version = 1
        while os.path.exists(self.path(f"{version + 1}.root.json")):
            version += 1
        return self.load(f"{version}.root.json")


def init(state, trusted_root, signing_config):
    os.makedirs(os.path.join(state, "repo", "targets"), exist_ok=True)
    with open(os.path.join(state, "keys.json"), "w") as f:
        json.dump({role: new_key() for role in ROLES}, f)
    repo = Repo(state)

    root = Root(expires=now() + timedelta(days=365), consistent_snapshot=True)
    for role in ROLES:
        root.add_key(signer(repo.keys[role]).public_key, role)
    md = Metadata(root)
    repo.sign(md, "root")
    repo.write(md, "1.root.json", "root.json")

    targets = Targets(version=1, expires=now() + timedelta(days=30))
    for name, source in (("trusted_root.json", trusted_root), ("signing_config.v0.2.json", signing_config)):
        with open(source, "rb") as f:
            data = f.read()
        target = TargetFile.from_data(name, data, ["sha256"])
        targets.targets[name] = target
        digest = hashlib.sha256(data).hexdigest()
        with open(repo.path(f"targets/{digest}.{name}"), "wb") as f:
            f.write(data)
    md = Metadata(targets)
    repo.sign(md, "targets")
    repo.write(md, "1.targets.json")

    repo.publish_timestamp(repo.publish_snapshot(1))


def rotate_root(state):
    repo = Repo(state)
    old = repo.root()
    root = old.signed
    old_root_key = repo.keys["root"]
    root.revoke_key(signer(old_root_key).public_key.keyid, "root")
    root.revoke_key(signer(repo.keys["timestamp"]).public_key.keyid, "timestamp")
    repo.keys["root"] = new_key()
    repo.keys["timestamp"] = new_key()
    repo.save_keys()
    root.add_key(signer(repo.keys["root"]).public_key, "root")
    root.add_key(signer(repo.keys["timestamp"]).public_key, "timestamp")
    root.version += 1
    md = Metadata(root)
    md.signatures.clear()
    md.sign(signer(old_root_key), append=True)
    md.sign(signer(repo.keys["root"]), append=True)
    repo.write(md, f"{root.version}.root.json", "root.json")
    repo.publish_timestamp(repo.current_snapshot())


def main():
    command, state = sys.argv[1], sys.argv[2]
    if command == "init":
        init(state, sys.argv[3], sys.argv[4])
        return
    repo = Repo(state)
    if command == "rotate-root":
        rotate_root(state)
    elif command == "publish":
        repo.publish_timestamp(repo.publish_snapshot(repo.current_targets()))
    elif command == "expire-timestamp":
        repo.publish_timestamp(repo.current_snapshot(), expires=now() - timedelta(days=1))
    elif command == "rollback-timestamp":
        shutil.copy(os.path.join(state, "timestamp.1.json"), repo.path("timestamp.json"))
    elif command == "rollback-snapshot":
        repo.publish_timestamp(1)
    elif command == "tamper":
        name = sys.argv[3]
        target = repo.load(f"{repo.current_targets()}.targets.json").signed.targets[name]
        path = repo.path(f"targets/{target.hashes['sha256']}.{name}")
        with open(path, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0x01
        with open(path, "wb") as f:
            f.write(data)
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
