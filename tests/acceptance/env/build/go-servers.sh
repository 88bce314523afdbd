#!/usr/bin/env bash
# Builds the Go programs of the test environment (etcd, kube-apiserver,
# kube-controller-manager, the six Flux controllers at the tags the built-in Flux
# release pins, the Flux CLI, OpenTofu; optionally the reference provider) from
# the Go module proxy into a persistent cache, and regenerates the built-in Flux
# manifests for the test that compares them with the committed ones.
#
# Usage: go-servers.sh [--jobs N] [TARGET...]
#   TARGET: etcd kube source-controller kustomize-controller helm-controller
#           notification-controller image-reflector-controller
#           image-automation-controller flux-cli flux-manifests registry crane
#           s3 tofu reference-provider
#           (default: the required set; "all" adds the optional ones)
#
# Each target is built once per version stamp: the output lives under
# $FLUX_TEST_CACHE/go/<stamp>/bin and a target is skipped when its
# .done-<target> marker exists. Timings go to $FLUX_TEST_CACHE/go/<stamp>/build.log.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
# The built-in Flux version and its manifests, which the Flux CLI embeds.
FLUX_MANIFESTS=$REPO_ROOT/core/flux-manifests
FLUX_VERSION=$(cat "$FLUX_MANIFESTS/VERSION")
FLUX_MANIFESTS_SUM=$(sha256sum "$FLUX_MANIFESTS/$FLUX_VERSION/SHA256SUMS" | cut -c1-12)

# The tag the built-in Flux release pins for a controller, from flux2's base
# kustomization (pins/), so that the environment runs the Flux users get.
pinned_tag() {
  grep -o "releases/download/v[^/]*/" "$FLUX_MANIFESTS/$FLUX_VERSION/pins/$1.kustomization.yaml" \
    | head -n1 | cut -d/ -f3
}

ETCD_VERSION=v3.6.16
KUBE_VERSION=v1.36.3
SOURCE_CONTROLLER_VERSION=$(pinned_tag source-controller)
KUSTOMIZE_CONTROLLER_VERSION=$(pinned_tag kustomize-controller)
HELM_CONTROLLER_VERSION=$(pinned_tag helm-controller)
NOTIFICATION_CONTROLLER_VERSION=$(pinned_tag notification-controller)
IMAGE_REFLECTOR_CONTROLLER_VERSION=$(pinned_tag image-reflector-controller)
IMAGE_AUTOMATION_CONTROLLER_VERSION=$(pinned_tag image-automation-controller)
TOFU_VERSION=v1.12.6
# The CNCF registry (OCI sources, image automation) and crane to push to it.
REGISTRY_VERSION=v3.1.2
CRANE_VERSION=v0.22.1
# An S3-compatible server over a plain directory (Bucket sources).
VERSITYGW_VERSION=v1.8.0
# The Flux Operator (FluxInstance, FluxReport, ResourceSet), served by the proxy.
FLUX_OPERATOR_VERSION=v0.59.0
# Served stand-in for the authn/kubernetes pseudo-version the operator requires and
# the proxy refuses (see build_flux_operator).
OPERATOR_AUTHN_FALLBACK=v0.0.0-20260205022027-93aa2732266a
REFERENCE_PROVIDER_VERSION=v1.8.5
# Flux release whose controller manifests the reference provider embeds.
REFERENCE_FLUX_VERSION=v2.8.5

# Longest first (cold times on two cores): the lanes take the next target from this
# list whenever they finish one, so the two longest builds start at once, Kubernetes
# in one lane and the Flux Operator (which needs its own, newer Go toolchain, so it
# shares no compiled package with the others) in the other, and the short ones fill in.
REQUIRED_TARGETS=(kube flux-operator source-controller tofu notification-controller kustomize-controller image-reflector-controller helm-controller registry etcd flux-cli s3 flux-manifests image-automation-controller crane)
OPTIONAL_TARGETS=(reference-provider)

CACHE=${FLUX_TEST_CACHE:-$HOME/.cache/flux-provider-test}

# Per-target stamps, so that bumping one version rebuilds only that target.
target_version() {
  case "$1" in
    etcd) echo "$ETCD_VERSION" ;;
    kube) echo "$KUBE_VERSION" ;;
    source-controller) echo "$SOURCE_CONTROLLER_VERSION" ;;
    kustomize-controller) echo "$KUSTOMIZE_CONTROLLER_VERSION" ;;
    helm-controller) echo "$HELM_CONTROLLER_VERSION" ;;
    notification-controller) echo "$NOTIFICATION_CONTROLLER_VERSION" ;;
    image-reflector-controller) echo "$IMAGE_REFLECTOR_CONTROLLER_VERSION" ;;
    image-automation-controller) echo "$IMAGE_AUTOMATION_CONTROLLER_VERSION" ;;
    flux-cli) echo "$FLUX_VERSION-$FLUX_MANIFESTS_SUM" ;;
    flux-manifests) echo "$FLUX_VERSION-$(sha256sum "$FLUX_MANIFESTS/generate" | cut -c1-12)" ;;
    tofu) echo "$TOFU_VERSION" ;;
    registry) echo "$REGISTRY_VERSION" ;;
    crane) echo "$CRANE_VERSION" ;;
    s3) echo "$VERSITYGW_VERSION" ;;
    flux-operator) echo "$FLUX_OPERATOR_VERSION" ;;
    reference-provider) echo "$REFERENCE_PROVIDER_VERSION-flux$REFERENCE_FLUX_VERSION" ;;
    *) echo "unknown target $1" >&2; return 1 ;;
  esac
}

GO_ROOT=$CACHE/go
BIN=$GO_ROOT/bin
WORK=$GO_ROOT/work
LOG=$GO_ROOT/build.log
export GOMODCACHE=$GO_ROOT/modcache
export GOCACHE=$GO_ROOT/buildcache
export GOPATH=$GO_ROOT/gopath
export CGO_ENABLED=0
export GOFLAGS="-mod=mod -trimpath -buildvcs=false"
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
JOBS=2
GOP=${GO_BUILD_P:-1}

mkdir -p "$BIN" "$WORK" "$GOMODCACHE" "$GOCACHE"
# One build at a time per cache: a second caller waits, then finds the markers
# (the lock is taken below, once the targets are known).

log() { echo "$(date -u +%FT%TZ) $*" | tee -a "$LOG" >&2; }

done_marker() { echo "$BIN/.done-$1-$(target_version "$1")"; }

# Copies a module from the (read-only) module cache into a writable directory.
module_copy() {
  local mod=$1 ver=$2 dest=$3 dir
  local json
  # go mod download exits non-zero on failure; its JSON carries the reason.
  json=$(cd "$WORK" && GOFLAGS= go mod download -json "$mod@$ver" || true)
  dir=$(echo "$json" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { log "download of $mod@$ver failed: $(echo "$json" | sed -n 's/^\s*"Error": "\(.*\)"$/\1/p')"; return 1; }
  rm -rf "$dest"
  cp -r "$dir" "$dest"
  chmod -R u+w "$dest"
}

build_etcd() {
  local d=$WORK/etcd
  rm -rf "$d"; mkdir -p "$d"; cd "$d"
  go mod init flux-test/etcd-bin >/dev/null 2>&1
  go mod edit -go=1.26.0
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  nice -n 15 go build -p "$GOP" -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
}

build_kube() {
  local d=$WORK/kube modfile staging
  rm -rf "$d"; mkdir -p "$d"; cd "$d"
  go mod init flux-test/kube-bins >/dev/null 2>&1
  go mod edit -go=1.26.0
  modfile=$(GOFLAGS= go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
  [ -n "$modfile" ] || { log "cannot download k8s.io/kubernetes@$KUBE_VERSION"; return 1; }
  # k8s.io/kubernetes requires its staging modules at v0.0.0 through local
  # replaces, which do not apply to dependents: point each at its published tag.
  staging=$(go mod edit -json "$modfile" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"]["Path"].startswith("./staging/src/"):
        print(r["Old"]["Path"])
')
  local staging_version=v0${KUBE_VERSION#v1}
  for m in $staging; do go mod edit -replace "$m=$m@$staging_version"; done
  log "kube: $(echo "$staging" | wc -w) staging replaces at $staging_version"
  go mod edit -require "k8s.io/kubernetes@$KUBE_VERSION"
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO
  go mod tidy -e >/dev/null 2>&1 || true
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.gitCommit=0000000000000000000000000000000000000000 -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  nice -n 15 go build -p "$GOP" -tags selinux,notest -ldflags "$ld" -o "$BIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  log "kube: kube-apiserver built"
  nice -n 15 go build -p "$GOP" -tags selinux,notest -ldflags "$ld" -o "$BIN/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
}

# Flux controllers: built in place; the ./api replace points at a nested
# module absent from the zip, so drop it and let the require resolve.
build_flux_controller() {
  local name=$1 ver=$2 d=$WORK/$1
  module_copy "github.com/fluxcd/$name" "$ver" "$d"
  cd "$d"
  go mod edit -dropreplace "github.com/fluxcd/$name/api"
  fallback_unavailable_replaces "$name"
  fallback_unavailable_requires "$name"
  nice -n 15 go build -p "$GOP" -ldflags "-s -w" -o "$BIN/$name" .
  # Keep the CRDs of exactly this build next to the binary.
  mkdir -p "$BIN/crds/$name"
  cp config/crd/bases/*.yaml "$BIN/crds/$name/"
}

# A required module version that the module proxy refuses (403) cannot be built
# against: replace it with the newest served patch release of the same minor
# below it, and say so next to the binary. Seen: source-controller v1.9.4 and
# image-reflector-controller v1.2.4 require github.com/fluxcd/pkg/artifact v0.18.2
# (refused; v0.18.1 is served). A refused pseudo-version (an untagged commit)
# has no "earlier patch": the proxy cannot list pseudo-versions, so the newest
# earlier one that another build already fetched into the module cache is used.
# Seen: flux-operator v0.59.0 requires go-containerregistry/pkg/authn/kubernetes
# v0.0.0-20260604213829-6849394e8a65 (refused).
fallback_unavailable_requires() {
  local name=$1 pkg=${2:-.} tries=0 refused mod ver prefix patch candidate
  while [ $tries -lt 5 ]; do
    tries=$((tries + 1))
    refused=$(GOFLAGS=-mod=mod go list -deps -e -f '{{with .Error}}{{.Err}}{{end}}' "$pkg" 2>&1 \
      | grep -o '[a-z0-9.-]*\.[a-z]*/[^@ ]*@v[^:]*: reading [^ ]*: 403' | head -n1 || true)
    [ -n "$refused" ] || return 0
    mod=${refused%%@*}
    ver=${refused#*@}; ver=${ver%%:*}
    if [[ $ver =~ ^v[0-9]+\.[0-9]+\.[0-9]+-[0-9]{14}-[0-9a-f]{12}$ ]]; then
      candidate=$(cached_earlier_pseudo_version "$mod" "$ver")
      if [ -z "$candidate" ]; then
        echo "$name: $mod@$ver is refused by the module proxy and no earlier pseudo-version is in the module cache" | tee -a "$BIN/$name.NOTE" >&2
        return 1
      fi
      go mod edit -replace "$mod=$mod@$candidate"
      echo "$name: $mod@$ver is not available from the module proxy; built against $candidate" | tee -a "$BIN/$name.NOTE" >&2
      continue
    fi
    prefix=${ver%.*}.
    patch=${ver##*.}
    candidate=
    while [ "${patch%%[!0-9]*}" -gt 0 ] 2>/dev/null; do
      patch=$(( ${patch%%[!0-9]*} - 1 ))
      if GOFLAGS= go mod download "$mod@$prefix$patch" >/dev/null 2>&1; then
        candidate=$prefix$patch
        break
      fi
    done
    if [ -z "$candidate" ]; then
      echo "$name: $mod@$ver is refused by the module proxy and no earlier $prefix* release is served" | tee -a "$BIN/$name.NOTE" >&2
      return 1
    fi
    go mod edit -replace "$mod=$mod@$candidate"
    echo "$name: $mod@$ver is not available from the module proxy; built against $candidate" | tee -a "$BIN/$name.NOTE" >&2
  done
}

# The newest pseudo-version of a module below $2 whose zip is in the module cache.
cached_earlier_pseudo_version() {
  local mod=$1 ver=$2 escaped
  # The module cache escapes upper-case letters as "!" + lower case.
  escaped=$(echo "$mod" | sed 's/[A-Z]/!\L&/g')
  find "$GOMODCACHE/cache/download/$escaped/@v" -maxdepth 1 -name 'v*-*-*.zip' -printf '%f\n' 2>/dev/null \
    | sed 's/\.zip$//' | awk -v ver="$ver" '$0 < ver' | sort | tail -n1
}

# A replace whose target the module proxy refuses (403) cannot be honoured:
# fall back to the upstream module it forks, and say so next to the binary.
# Seen: helm-controller's helm.sh/helm/v4 => github.com/fluxcd/helm/v4 v4.2.4-flux.1.
fallback_unavailable_replaces() {
  local name=$1 old new
  rm -f "$BIN/$name.NOTE"
  go mod edit -json | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"].get("Version"):
        print(r["Old"]["Path"], r["New"]["Path"] + "@" + r["New"]["Version"])
' | while read -r old new; do
    if ! GOFLAGS= go mod download "$new" >/dev/null 2>&1; then
      go mod edit -dropreplace "$old"
      echo "$name: replace $old => $new is not available from the module proxy; built against $old as required by go.mod" | tee -a "$BIN/$name.NOTE" >&2
    fi
  done
}

# The Flux CLI as Flux's release builds it: the release's per-component manifests
# (here the built-in ones) in cmd/flux/manifests/, and the version by ldflags, so
# that `flux install --export` renders that version offline.
build_flux_cli() {
  local d=$WORK/flux2
  module_copy github.com/fluxcd/flux2/v2 "$FLUX_VERSION" "$d"
  cd "$d"
  rm -rf cmd/flux/manifests
  mkdir -p cmd/flux/manifests
  cp "$FLUX_MANIFESTS/$FLUX_VERSION"/*.yaml cmd/flux/manifests/
  nice -n 15 go build -p "$GOP" -ldflags "-s -w -X main.VERSION=${FLUX_VERSION#v}" -o "$BIN/flux" ./cmd/flux
}

# Regenerated manifests, compared with the committed ones by a test of flux-core.
build_flux_manifests() {
  "$FLUX_MANIFESTS/generate" --out "$BIN/flux-manifests/$FLUX_VERSION" "$FLUX_VERSION"
}

build_registry() {
  local d=$WORK/distribution
  module_copy github.com/distribution/distribution/v3 "$REGISTRY_VERSION" "$d"
  cd "$d"
  nice -n 15 go build -p "$GOP" -ldflags "-s -w" -o "$BIN/registry" ./cmd/registry
}

build_crane() {
  local d=$WORK/go-containerregistry
  module_copy github.com/google/go-containerregistry "$CRANE_VERSION" "$d"
  cd "$d"
  nice -n 15 go build -p "$GOP" -ldflags "-s -w" -o "$BIN/crane" ./cmd/crane
}

build_s3() {
  local d=$WORK/versitygw
  module_copy github.com/versity/versitygw "$VERSITYGW_VERSION" "$d"
  cd "$d"
  nice -n 15 go build -p "$GOP" -ldflags "-s -w" -o "$BIN/versitygw" ./cmd/versitygw
}

build_tofu() {
  local d=$WORK/opentofu
  module_copy github.com/opentofu/opentofu "$TOFU_VERSION" "$d"
  cd "$d"
  nice -n 15 go build -p "$GOP" -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$BIN/tofu" ./cmd/tofu
}

# The Flux Operator as its Dockerfile builds it, with two differences: its web
# UI (web/dist, built by npm upstream and absent from the module zip) is a
# placeholder page, and no data directory is baked in (the environment serves
# the distribution from core/flux-manifests, see the README). GOFIPS140 because
# the operator exits at start when FIPS 140-3 mode is off.
build_flux_operator() {
  local d=$WORK/flux-operator
  module_copy github.com/controlplaneio-fluxcd/flux-operator "$FLUX_OPERATOR_VERSION" "$d"
  cd "$d"
  mkdir -p web/dist
  [ -e web/dist/index.html ] || printf '<!doctype html><title>flux-operator</title><p>web UI not built in the flux-test environment</p>\n' > web/dist/index.html
  fallback_unavailable_replaces flux-operator
  # The proxy refuses the authn/kubernetes pseudo-version v0.59.0 requires, and the
  # fallback below takes the newest earlier one in the module cache. Fetch the one
  # the Flux controllers of the built-in release require (served) first, so that the
  # fallback finds it whatever order the lanes build in, even on a cold cache.
  go mod download "github.com/google/go-containerregistry/pkg/authn/kubernetes@$OPERATOR_AUTHN_FALLBACK"
  fallback_unavailable_requires flux-operator ./cmd/operator
  GOFIPS140=latest nice -n 15 go build -p "$GOP" -ldflags "-s -w -X main.VERSION=${FLUX_OPERATOR_VERSION#v}" -o "$BIN/flux-operator" ./cmd/operator
  mkdir -p "$BIN/crds/flux-operator"
  cp config/crd/bases/*.yaml "$BIN/crds/flux-operator/"
}

build_reference_provider() {
  local d=$WORK/terraform-provider-flux
  module_copy github.com/fluxcd/terraform-provider-flux "$REFERENCE_PROVIDER_VERSION" "$d"
  cd "$d"
  # main.go embeds manifests/*.yaml, which upstream fetches from GitHub at build
  # time. Embed a placeholder: the reference provider is run with
  # embedded_manifests = false (manifests from its version) in side-by-side runs.
  mkdir -p manifests
  [ -n "$(ls manifests/*.yaml 2>/dev/null)" ] || printf '# placeholder: not the flux manifests\n' > manifests/placeholder.yaml
  mkdir -p "$BIN/reference-provider"
  nice -n 15 go build -p "$GOP" -ldflags "-s -w -X main.version=${REFERENCE_PROVIDER_VERSION#v}" -o "$BIN/reference-provider/terraform-provider-flux" .
}

build_target() {
  local t=$1 start rc
  if [ -e "$(done_marker "$t")" ]; then log "$t: cached ($(target_version "$t"))"; return 0; fi
  start=$(date +%s)
  log "$t: building $(target_version "$t")"
  set +e
  (
    set -e
    case "$t" in
      etcd) build_etcd ;;
      kube) build_kube ;;
      source-controller) build_flux_controller source-controller "$SOURCE_CONTROLLER_VERSION" ;;
      kustomize-controller) build_flux_controller kustomize-controller "$KUSTOMIZE_CONTROLLER_VERSION" ;;
      helm-controller) build_flux_controller helm-controller "$HELM_CONTROLLER_VERSION" ;;
      notification-controller) build_flux_controller notification-controller "$NOTIFICATION_CONTROLLER_VERSION" ;;
      image-reflector-controller) build_flux_controller image-reflector-controller "$IMAGE_REFLECTOR_CONTROLLER_VERSION" ;;
      image-automation-controller) build_flux_controller image-automation-controller "$IMAGE_AUTOMATION_CONTROLLER_VERSION" ;;
      flux-cli) build_flux_cli ;;
      flux-manifests) build_flux_manifests ;;
      tofu) build_tofu ;;
      registry) build_registry ;;
      crane) build_crane ;;
      s3) build_s3 ;;
      flux-operator) build_flux_operator ;;
      reference-provider) build_reference_provider ;;
      *) echo "unknown target $t" >&2; exit 2 ;;
    esac
  ) >>"$GO_ROOT/build-$t.out" 2>&1
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then
    touch "$(done_marker "$t")"
    log "$t: built in $(( $(date +%s) - start ))s"
  else
    log "$t: FAILED after $(( $(date +%s) - start ))s (rc $rc); last lines of $GO_ROOT/build-$t.out:"
    tail -n 15 "$GO_ROOT/build-$t.out" | sed 's/^/    /' | tee -a "$LOG" >&2
  fi
  return $rc
}

targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) JOBS=$2; shift 2 ;;
    all) targets+=("${REQUIRED_TARGETS[@]}" "${OPTIONAL_TARGETS[@]}"); shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${REQUIRED_TARGETS[@]}")

# Everything requested already built: done, without waiting for the lock that
# another (perhaps optional) build may hold.
all_done=1
for t in "${targets[@]}"; do [ -e "$(done_marker "$t")" ] || all_done=0; done
if [ $all_done -eq 1 ]; then
  echo "go builds: all cached (${targets[*]})" >&2
  exit 0
fi
exec 9>"$GO_ROOT/.lock"
flock 9

total_start=$(date +%s)
log "go builds: ${targets[*]} (jobs $JOBS, go -p $GOP, cache $GO_ROOT)"
# Lanes: $JOBS lanes build in parallel, each taking the next target of the list
# (a counter file under a lock) when it is free; the go build cache is shared, so
# later controllers reuse compiled packages.
queue=$(mktemp)
echo 0 > "$queue"
next_target() {
  local i
  i=$(flock "$queue.lock" sh -c 'i=$(cat "$1"); echo $((i + 1)) > "$1"; echo "$i"' sh "$queue")
  [ "$i" -lt ${#targets[@]} ] && echo "${targets[$i]}"
}
failed=0
pids=()
for ((lane = 0; lane < JOBS; lane++)); do
  (
    rc=0
    # Not "build_target || rc=1": inside a || list bash ignores set -e, also in
    # the subshell that runs the build, so failed steps would go unnoticed.
    set +e
    while target=$(next_target); do
      build_target "$target"
      [ $? -eq 0 ] || rc=1
    done
    exit $rc
  ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
rm -f "$queue" "$queue.lock"
log "go builds finished in $(( $(date +%s) - total_start ))s (failed=$failed)"
exit $failed
