#!/usr/bin/env bash
# Runs the OCI distribution-spec conformance suite (opencontainers/distribution-spec, conformance/)
# against a registry, offline: Go and most libraries come from Debian bookworm packages, the few
# libraries Debian lacks from local git mirrors of their upstream repositories. See docs/CONFORMANCE.md.
#
# Usage: scripts/conformance.sh [DISTRIBUTION_SPEC] URL [NAMESPACE]
#   DISTRIBUTION_SPEC  a distribution-spec checkout or bare mirror (default: env DISTRIBUTION_SPEC,
#                      else /work/.mirror/opencontainers+distribution-spec/repo)
#   URL                the registry, e.g. http://127.0.0.1:5000
#   NAMESPACE          repository the suite pushes to (default: env OCI_NAMESPACE, else wharf/conformance)
# Environment:
#   DISTRIBUTION_SPEC_REF  suite commit or tag (default v1.1.1; 46cff19 = last one on ginkgo v1,
#                          which needs nothing from the mirrors but reggie)
#   MIRROR_DIR             where the other mirrors are, as OWNER+NAME/repo (default: the directory
#                          holding DISTRIBUTION_SPEC's mirror, else /work/.mirror); each can be
#                          overridden with REGGIE_SRC, GINKGO_SRC, GOMEGA_SRC
#                          (a git checkout, a bare git directory, or a plain source tree)
#   OUT                    where junit.xml, report.html and conformance.log go (default /tmp/wharf-conformance-out)
#   CONFORMANCE_CACHE      build cache (default $XDG_CACHE_HOME/wharf-conformance, else /tmp/wharf-conformance-cache)
#   CONFORMANCE_TIMEOUT    limit for the whole run (default 10m)
#   OCI_*                  passed through to the suite (OCI_USERNAME, OCI_PASSWORD, OCI_DEBUG,
#                          OCI_CROSSMOUNT_NAMESPACE, OCI_DELETE_MANIFEST_BEFORE_BLOBS, OCI_AUTOMATIC_CROSSMOUNT, ...)
# Prints "passed N of M, failed K" (M = specs run, skipped ones excluded) and exits non-zero if any failed.
set -euo pipefail

die() { echo "conformance.sh: $*" >&2; exit 2; }

# --- arguments -------------------------------------------------------------------------------
spec_src=${DISTRIBUTION_SPEC:-/work/.mirror/opencontainers+distribution-spec/repo}
if [ $# -ge 1 ] && [[ "$1" != http://* && "$1" != https://* ]]; then spec_src=$1; shift; fi
[ $# -ge 1 ] || die "usage: $0 [DISTRIBUTION_SPEC] URL [NAMESPACE]"
url=${1%/}
namespace=${2:-${OCI_NAMESPACE:-wharf/conformance}}
ref=${DISTRIBUTION_SPEC_REF:-v1.1.1}
out=${OUT:-/tmp/wharf-conformance-out}
cache=${CONFORMANCE_CACHE:-${XDG_CACHE_HOME:+$XDG_CACHE_HOME/wharf-conformance}}
cache=${cache:-/tmp/wharf-conformance-cache}
[ -e "$spec_src" ] || die "no distribution-spec at $spec_src (get one with the fetch tool: github:opencontainers/distribution-spec)"
spec_src=$(cd "$spec_src" && pwd)
if [ -z "${MIRROR_DIR:-}" ]; then
  # a mirror lives at MIRROR_DIR/OWNER+NAME/repo: look beside distribution-spec's own
  MIRROR_DIR=/work/.mirror
  case "$spec_src" in */opencontainers+distribution-spec/repo) MIRROR_DIR=${spec_src%/opencontainers+distribution-spec/repo} ;; esac
fi

# --- source access: a git checkout, a bare git directory, or a plain tree ------------------------
git_dir() { # prints the git directory of $1, or nothing if it is a plain tree
  git -c safe.directory='*' -C "$1" rev-parse --absolute-git-dir 2>/dev/null || true
}
# extract SRC REF DEST [PATH]: REF's tree (or PATH within it) from SRC into DEST. A plain tree is
# copied as it is (its version is then whatever it holds).
extract() {
  local src=$1 rev=$2 dest=$3 sub=${4:-} gd
  [ -e "$src" ] || die "missing source $src (fetch it with the fetch tool, or set the *_SRC variable)"
  mkdir -p "$dest"
  gd=$(git_dir "$src")
  if [ -n "$gd" ]; then
    git -c safe.directory='*' --git-dir="$gd" rev-parse -q --verify "$rev^{commit}" >/dev/null \
      || die "$src has no commit $rev"
    git -c safe.directory='*' --git-dir="$gd" archive --format=tar "$rev" ${sub:+"$sub"} | tar -x -C "$dest"
  else
    echo "conformance.sh: $src is not a git repository; using its files as they are (wanted $rev)" >&2
    if [ -n "$sub" ]; then mkdir -p "$dest/$sub" && cp -a "$src/$sub/." "$dest/$sub/"; else cp -a "$src/." "$dest/"; fi
  fi
}
# the commit a source is at (for the cache key); a plain tree counts as "tree"
resolve() {
  local gd; gd=$(git_dir "$1")
  if [ -n "$gd" ]; then git -c safe.directory='*' --git-dir="$gd" rev-parse -q --verify "$2^{commit}" || die "$1 has no commit $2"
  else echo tree; fi
}
# version of module $2 required in go.mod $1 (e.g. v2.11.0, or a pseudo-version)
modver() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"; }
# the git revision behind a module version: the commit of a pseudo-version, else the tag itself
modrev() { case "$1" in v0.0.0-*-*) echo "${1##*-}" ;; *) echo "${1%+incompatible}" ;; esac; }

# --- Debian packages ---------------------------------------------------------------------------
# Always: Go 1.19 and the libraries Debian has (versions close to the suite's go.mod; API-compatible).
packages=(golang-go git ca-certificates
  golang-github-opencontainers-go-digest-dev golang-github-google-uuid-dev
  golang-github-go-resty-resty-dev golang-github-mitchellh-mapstructure-dev
  golang-github-asaskevich-govalidator-dev golang-golang-x-net-dev golang-golang-x-sys-dev
  golang-golang-x-text-dev)
# The suite's go.mod decides the test framework: ginkgo v1 + gomega are in Debian; ginkgo v2 is not,
# so it and gomega (a newer one than Debian's) come from mirrors, with these Debian libraries under them.
spec_commit=$(resolve "$spec_src" "$ref")
gomod=$(mktemp)
trap 'rm -f "$gomod"' EXIT
if [ -n "$(git_dir "$spec_src")" ]; then
  git -c safe.directory='*' --git-dir="$(git_dir "$spec_src")" show "$spec_commit:conformance/go.mod" >"$gomod"
else
  cp "$spec_src/conformance/go.mod" "$gomod"
fi
if grep -q 'github.com/onsi/ginkgo/v2 ' "$gomod"; then ginkgo=2; else ginkgo=1; fi
if [ "$ginkgo" = 1 ]; then
  packages+=(golang-github-onsi-ginkgo-dev golang-gomega-dev)
else
  packages+=(golang-github-go-logr-logr-dev golang-github-google-go-cmp-dev golang-gopkg-yaml.v3-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "conformance.sh: installing ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
GO=${GO:-/usr/bin/go}   # Debian's golang-go; the build is GOPATH mode, which needs no module proxy

# --- the sources beyond Debian, pinned to the versions the suite's go.mod names ------------------
reggie_src=${REGGIE_SRC:-$MIRROR_DIR/bloodorangeio+reggie/repo}
reggie_rev=$(modrev "$(modver "$gomod" github.com/bloodorangeio/reggie)")
deps=("$reggie_src|$reggie_rev|github.com/bloodorangeio/reggie")
if [ "$ginkgo" = 2 ]; then
  deps+=("${GINKGO_SRC:-$MIRROR_DIR/onsi+ginkgo/repo}|$(modrev "$(modver "$gomod" github.com/onsi/ginkgo/v2)")|github.com/onsi/ginkgo/v2"
    "${GOMEGA_SRC:-$MIRROR_DIR/onsi+gomega/repo}|$(modrev "$(modver "$gomod" github.com/onsi/gomega)")|github.com/onsi/gomega")
  # (ginkgo v2's go.mod also names go-task/slim-sprig and google/pprof: only its CLI uses them)
fi

# --- build once per (suite commit, dependency commits, Go version) -------------------------------
key=$spec_commit
for d in "${deps[@]}"; do IFS='|' read -r src rev _ <<<"$d"; key+=" $(resolve "$src" "$rev")"; done
key+=" $("$GO" version)"
key=$(printf '%s' "$key" | sha256sum | cut -c1-16)
bin=$cache/$key/conformance.test
if [ ! -x "$bin" ] || [ "$spec_commit" = tree ]; then
  echo "conformance.sh: building the suite at ${spec_commit:0:12} ($ref, ginkgo v$ginkgo) in $cache/$key" >&2
  start=$SECONDS
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -f "$gomod"; rm -rf "$work"' EXIT
  # A private GOPATH ahead of Debian's /usr/share/gocode: the suite at its import path, plus the
  # mirrored libraries (which shadow Debian's older ginkgo v1/gomega where both exist).
  src=$work/gopath/src
  extract "$spec_src" "$spec_commit" "$src/github.com/opencontainers/distribution-spec" conformance
  for d in "${deps[@]}"; do IFS='|' read -r dsrc drev dpath <<<"$d"; extract "$dsrc" "$drev" "$src/$dpath"; done
  # -trimpath: file:line in failure reports reads github.com/opencontainers/distribution-spec/...
  (cd "$src/github.com/opencontainers/distribution-spec/conformance" &&
    GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$cache/gocache" GOFLAGS= GOPROXY=off \
      "$GO" test -c -trimpath -o "$work/conformance.test" .)
  rm -rf "${cache:?}/$key" && mkdir -p "$cache/$key" && mv "$work/conformance.test" "$bin"
  echo "conformance.sh: built in $((SECONDS - start))s" >&2
fi

# --- run ---------------------------------------------------------------------------------------
mkdir -p "$out"
rm -f "$out/junit.xml" "$out/report.html" "$out/conformance.log"
export OCI_ROOT_URL=$url OCI_NAMESPACE=$namespace
export OCI_CROSSMOUNT_NAMESPACE=${OCI_CROSSMOUNT_NAMESPACE:-$namespace-crossmount}
export OCI_TEST_PULL=1 OCI_TEST_PUSH=1 OCI_TEST_CONTENT_DISCOVERY=1 OCI_TEST_CONTENT_MANAGEMENT=1
export OCI_HIDE_SKIPPED_WORKFLOWS=${OCI_HIDE_SKIPPED_WORKFLOWS:-0}
export OCI_REPORT_DIR=$out   # newer suites write their reports here; older ones into the working directory
echo "conformance.sh: $url namespace $namespace, suite ${spec_commit:0:12} ($ref); reports in $out" >&2
flags=(-test.timeout "${CONFORMANCE_TIMEOUT:-10m}")
if [ ! -t 1 ]; then   # no colour codes in logs
  if [ "$ginkgo" = 2 ]; then flags+=(-ginkgo.no-color); else flags+=(-ginkgo.noColor); fi
fi
status=0
(cd "$out" && "$bin" "${flags[@]}") 2>&1 | tee "$out/conformance.log" || status=$?

# --- summary from junit.xml: specs are the test cases under the suite's top-level Describe
# ("OCI Distribution Conformance Tests ..."); the suite-level reporter nodes are not counted.
[ -f "$out/junit.xml" ] || { echo "conformance.sh: no junit.xml (suite exited $status)" >&2; exit 1; }
perl -0777 -ne '
  my ($p, $f, $s) = (0, 0, 0); my @failed;
  while (/<testcase\b([^>]*?)(?:\/>|>(.*?)<\/testcase>)/gs) {
    my ($attrs, $body) = ($1, $2 // "");
    my ($name) = $attrs =~ /\bname="([^"]*)"/;
    next unless defined $name && $name =~ /OCI Distribution Conformance Tests/;
    if ($body =~ /<(failure|error)\b/ || $attrs =~ /\bstatus="(failed|panicked|interrupted|timedout)"/) {
      $f++; $name =~ s/^\[\w+\] //; $name =~ s/&amp;/&/g; $name =~ s/&lt;/</g; $name =~ s/&gt;/>/g; $name =~ s/&quot;/"/g;
      push @failed, $name;
    } elsif ($body =~ /<skipped\b/ || $attrs =~ /\bstatus="(skipped|pending)"/) { $s++ }
    else { $p++ }
  }
  print "FAILED: $_\n" for @failed;
  print "skipped $s\n";
  printf "passed %d of %d, failed %d\n", $p, $p + $f, $f;
  exit($f ? 1 : 0);
' "$out/junit.xml" || exit 1
[ "$status" = 0 ] || { echo "conformance.sh: the suite exited $status" >&2; exit 1; }
