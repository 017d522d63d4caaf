#!/usr/bin/env bash
# Debian packages that bench/pull.ts measures wharf against (see ../shared/PEERS.md): docker-registry
# serves the image, skopeo pushes it and is a peer, umoci + debootstrap build the nodeapp fixture,
# podman/buildah and dockerd (docker.io, containerd, runc) are the daemonless and daemon peers; wrk
# and ab (apache2-utils: wrk cannot parse answers to HEAD) load the registries in bench/serve.ts.
# Idempotent: installs only what is missing (apt-get update once, then apt-get install). Needs root.
set -euo pipefail
packages=(docker-registry skopeo umoci debootstrap podman buildah docker.io containerd runc wrk apache2-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup-peers: all installed (${packages[*]})"
  exit 0
fi
echo "setup-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
