#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries and etcd from their Go modules (through the Go module proxy) and caches
# them under ~/.cache/eci-virtual/bin/<component>-<version>/. Idempotent: a cached build is reused.
# metrics-server (the aggregated metrics.k8s.io API behind `kubectl top`) is built the same way, on demand.
#
# Why a throw-away consumer module: k8s.io/kubernetes's go.mod `replace`s its k8s.io/* staging modules with local
# paths, so `go install k8s.io/kubernetes/cmd/...@v` is refused. A module that requires k8s.io/kubernetes and replaces
# every staging module with the published v0.x.y builds the same code.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.1}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
METRICS_SERVER_VERSION="${METRICS_SERVER_VERSION:-v0.8.0}"
CACHE="${ECI_VIRTUAL_CACHE:-$HOME/.cache/eci-virtual}"
KUBE_BIN="$CACHE/bin/kubernetes-$KUBE_VERSION"
ETCD_BIN="$CACHE/bin/etcd-$ETCD_VERSION"
METRICS_SERVER_BIN="$CACHE/bin/metrics-server-$METRICS_SERVER_VERSION"
KUBE_TOOLS=(kube-apiserver kube-scheduler kube-controller-manager kubectl)

command -v go >/dev/null || { echo "error: Go 1.26+ is required to build the control plane (install it from go.dev or your package manager)" >&2; exit 3; }
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"

have_all() { local d=$1; shift; for b in "$@"; do [ -x "$d/$b" ] || return 1; done; }

build_kube() {
  have_all "$KUBE_BIN" "${KUBE_TOOLS[@]}" && return 0
  local staging_version="v0.${KUBE_VERSION#v1.}"
  local src="$CACHE/src/kubernetes-$KUBE_VERSION"
  mkdir -p "$src" "$KUBE_BIN.partial"
  cd "$src"
  printf 'module eci-virtual.local/kube-build\ngo 1.26\n' > go.mod
  go mod download "k8s.io/kubernetes@$KUBE_VERSION"
  local upstream_mod; upstream_mod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBE_VERSION.mod"
  {
    echo "module eci-virtual.local/kube-build"
    echo "go 1.26"
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$upstream_mod" | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
  } > go.mod
  echo "building Kubernetes $KUBE_VERSION (${KUBE_TOOLS[*]}) — the first build takes 20-40 minutes on 2 cores" >&2
  # Every package pinned to the version: a bare package path means @upgrade, which follows the proxy's newest release
  # and then conflicts with the required module version.
  go get $(printf "k8s.io/kubernetes/cmd/%s@$KUBE_VERSION " "${KUBE_TOOLS[@]}")
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2) -X $p.gitTreeState=clean"
  done
  go build -trimpath -ldflags "$ld" -o "$KUBE_BIN.partial/" $(printf 'k8s.io/kubernetes/cmd/%s ' "${KUBE_TOOLS[@]}")
  rm -rf "$KUBE_BIN" && mv "$KUBE_BIN.partial" "$KUBE_BIN"
}

build_etcd() {
  have_all "$ETCD_BIN" etcd && return 0
  local src="$CACHE/src/etcd-$ETCD_VERSION"
  mkdir -p "$src" "$ETCD_BIN.partial"
  cd "$src"
  printf 'module eci-virtual.local/etcd-build\ngo 1.26\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
  echo "building etcd $ETCD_VERSION" >&2
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$ETCD_BIN.partial/etcd" go.etcd.io/etcd/server/v3
  rm -rf "$ETCD_BIN" && mv "$ETCD_BIN.partial" "$ETCD_BIN"
}

# sigs.k8s.io/metrics-server's go.mod has no replace directives, so a consumer module that requires it builds the
# released code with the module's own pinned dependencies (go.sum comes from the module proxy's checksums).
build_metrics_server() {
  have_all "$METRICS_SERVER_BIN" metrics-server && return 0
  local src="$CACHE/src/metrics-server-$METRICS_SERVER_VERSION"
  mkdir -p "$src" "$METRICS_SERVER_BIN.partial"
  cd "$src"
  printf 'module eci-virtual.local/metrics-server-build\ngo 1.26\nrequire sigs.k8s.io/metrics-server %s\n' "$METRICS_SERVER_VERSION" > go.mod
  echo "building metrics-server $METRICS_SERVER_VERSION" >&2
  go get "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION"
  # The version metrics-server reports (its /version and log line) comes from client-go's version package.
  go build -trimpath -ldflags "-s -w -X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION" \
    -o "$METRICS_SERVER_BIN.partial/metrics-server" sigs.k8s.io/metrics-server/cmd/metrics-server
  rm -rf "$METRICS_SERVER_BIN" && mv "$METRICS_SERVER_BIN.partial" "$METRICS_SERVER_BIN"
}

case "${1:-all}" in
  kube) build_kube ;;
  etcd) build_etcd ;;
  metrics-server) build_metrics_server ;;
  all) build_etcd; build_kube ;;
  paths) echo "KUBE_BIN=$KUBE_BIN"; echo "ETCD_BIN=$ETCD_BIN"; echo "METRICS_SERVER_BIN=$METRICS_SERVER_BIN" ;;
  *) echo "usage: $0 [all|kube|etcd|metrics-server|paths]" >&2; exit 2 ;;
esac
