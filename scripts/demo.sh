#!/usr/bin/env bash
# wharf's main job on a fresh machine, offline: a local registry (Debian's docker-registry) holding
# the shared busybox fixtures; `wharf pull` from it into a scratch store; `wharf push` of that image to
# a `wharf serve` of its own; `wharf save` / `rmi` / `load` round trip; `wharf copy --all` of the
# multi-platform image into an OCI layout; `wharf build` of the small fixture context FROM that
# registry's busybox (RUN through runc, COPY, the build cache on a rebuild), pushed to the wharf serve;
# `wharf scan` of an image built on it with a vulnerable npm package (the fixtures' OSV records
# imported first); `docker images` through `wharf system service`'s socket; `wharf images` and
# `wharf system check` at the end.
# Usage: scripts/demo.sh [IMAGE-TAG]   (after `npm ci`; installs docker-registry and skopeo if missing)
# Whatever it starts (docker-registry, wharf serve, wharf system service) it stops by PID and waits for, then removes its
# work directory (under $TMPDIR): on success, on a failed step, and on SIGINT/SIGTERM (exit 130/143).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=../shared/fixtures/oci
for p in docker-registry skopeo runc; do
  command -v "$p" >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$p"; }
done
# Built before anything is started, so that a failed build leaves nothing running.
[ -f dist/bin/wharf.js ] || npm run build

pids=()
work=
cleanup() {
  local status=$? pid i
  set +e
  trap '' INT TERM # a second Ctrl-C does not cut the clean-up short
  trap - EXIT
  for pid in ${pids[@]+"${pids[@]}"}; do kill -TERM "$pid" 2>/dev/null; done
  # Each has 10 s to stop gracefully, then SIGKILL; `wait` reaps it, so nothing outlives the script.
  for pid in ${pids[@]+"${pids[@]}"}; do
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  [ -z "$work" ] || rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
work=$(mktemp -d)

port=$(( 20000 + RANDOM % 20000 ))
cat >"$work/registry.yml" <<YML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/registry }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$port }
YML
# A simple command run with `&`: $! is the registry itself.
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=("$!")
serve_port=$(( port + 1 ))
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
skopeo copy -q --dest-tls-verify=false "oci:$fixtures/busybox-multi:latest" "docker://127.0.0.1:$port/busybox:latest" --all
# As installed: the bin through its shebang, with the project's Node 24 first on PATH. In the
# background (a subshell) it is run with `exec`, so that $! is the Node process, not the subshell.
wharf() { PATH="$PWD/node_modules/.bin:$PATH" dist/bin/wharf.js --root "$work/store" "$@"; }
wharf_exec() { PATH="$PWD/node_modules/.bin:$PATH" exec dist/bin/wharf.js --root "$work/store" "$@"; }
image="127.0.0.1:$port/busybox:${1:-latest}"
wharf pull "$image"
# wharf's own registry, then a push to it (the layers go up once; the manifest keeps its digest).
wharf_exec serve --addr "127.0.0.1:$serve_port" --storage "$work/served" >"$work/serve.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$serve_port") 2>/dev/null && break; sleep 0.1; done
wharf tag "$image" "127.0.0.1:$serve_port/demo/busybox:v1"
wharf push "127.0.0.1:$serve_port/demo/busybox:v1"
# A docker-archive that `docker load` reads, and back: the same image ID.
wharf save -o "$work/busybox.tar" "$image"
wharf rmi "$image"
wharf load -i "$work/busybox.tar"
# Every platform of the index into an OCI layout, the index digest unchanged.
wharf copy --all "docker://$image" "oci:$work/layout:latest"
# A Dockerfile built layer by layer (RUN in runc on overlayfs), its history, a rebuild from the cache,
# and the image pushed to wharf's own registry.
cp -r ../shared/fixtures/build/small "$work/context" && chmod -R u+w "$work/context"
built="127.0.0.1:$serve_port/demo/small:1"
wharf build --progress plain --build-arg "REGISTRY=127.0.0.1:$port" -t "$built" "$work/context"
wharf history "$built"
wharf build -q --build-arg "REGISTRY=127.0.0.1:$port" -t "$built" "$work/context"
wharf push "$built"
# The scanner, offline: the OSV records of the fixtures imported, then an image with an npm package at
# a vulnerable version on purpose (lodash 4.17.20), built on the one above and scanned (trivy's table).
wharf scan db import ../shared/fixtures/osv/osv-scanner
wharf scan db status
mkdir -p "$work/vulnerable/node_modules/lodash"
echo '{"name": "lodash", "version": "4.17.20"}' >"$work/vulnerable/node_modules/lodash/package.json"
printf 'FROM %s\nCOPY node_modules/ /app/node_modules/\n' "$built" >"$work/vulnerable/Dockerfile"
wharf build -q -t demo/vulnerable:1 "$work/vulnerable"
wharf scan demo/vulnerable:1
# The Docker Engine API on a socket: the docker CLI (when there is one) drives wharf's store.
if command -v docker >/dev/null; then
  wharf_exec system service --host "unix://$work/wharf.sock" >"$work/service.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 100); do [ -S "$work/wharf.sock" ] && break; sleep 0.1; done
  DOCKER_HOST="unix://$work/wharf.sock" docker images
  DOCKER_HOST="unix://$work/wharf.sock" docker image inspect --format '{{.Id}} {{.Architecture}}' demo/vulnerable:1
fi
wharf images --digests
wharf system df
wharf system check
