#!/usr/bin/env bash
# Debian packages the tests use as real peers (see ../shared/PEERS.md): skopeo and umoci read the
# store as an OCI layout; docker-registry (distribution 2.8) is the registry the client talks to,
# with htpasswd (apache2-utils) for basic auth and openssl for the token issuer's certificate;
# podman and dockerd (docker.io, with containerd and runc) are the real clients of `wharf serve`;
# buildah (and dockerd, podman) are the peers `wharf build` is compared with; fuse-overlayfs is its
# fallback where kernel overlayfs cannot be mounted; rpm (rpm --initdb, rpmbuild) makes the real
# rpmdb.sqlite the scanner's rpm cataloger reads.
# Idempotent; needs root (CI runs as root).
set -euo pipefail
packages=(skopeo umoci docker-registry apache2-utils openssl podman buildah docker.io containerd runc tzdata fuse-overlayfs rpm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
