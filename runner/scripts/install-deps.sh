#!/usr/bin/env bash
# Installs the Debian (bookworm) packages the project's tests need: the local container engine (`yarn engine`), the
# test-image builders, the control plane's PKI tooling and the browser of the Backstage tab's end-to-end test. Idempotent and quick when everything is present: it asks
# dpkg first and only runs apt-get for what is missing. Go 1.26+ (for the Kubernetes build) is not a bookworm package;
# it is only checked.
set -euo pipefail

PACKAGES=(
  # container engine: podman's Docker-compatible API service. runc, not crun (crun fails on this hybrid cgroup
  # layout); netavark + aardvark-dns + iptables for bridge networking; conmon monitors containers.
  podman runc conmon netavark aardvark-dns iptables catatonit uidmap fuse-overlayfs slirp4netns
  # local registry and image tooling (umoci + skopeo package and push the test images; buildah builds Dockerfiles)
  docker-registry skopeo umoci buildah
  # test-image recipes: debootstrap for debian:bookworm, busybox-static for busybox:latest
  debootstrap debian-archive-keyring busybox-static
  # the node-runtime image (runner/scripts/images/node-runtime.ts) strips this host's node; ldd is in libc-bin
  binutils
  # control plane PKI (runner/scripts/lib/pki.ts) and general tooling the scripts call
  openssl ca-certificates curl git tar
  # the Backstage tab's browser test (runner/test/integration/backstage-tab.test.ts) drives /usr/bin/chromium through
  # playwright-core, which cannot download a browser of its own; fonts-liberation is what chromium recommends for
  # text (recommends are not installed here), so the tab's screenshot renders with the same fonts everywhere
  chromium fonts-liberation
  # the job history's PostgreSQL tests and `yarn bench portal` start a throw-away server of their own
  # (runner/test/harness/postgres-server.ts: initdb in a temp dir, a random port, a unix socket)
  postgresql
)

if ! command -v dpkg-query >/dev/null; then
  echo "install-deps: this script needs a Debian-based system (dpkg/apt); install the equivalents of: ${PACKAGES[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
else
  echo "install-deps: installing ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root (or install sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # Explicit list, no recommends: keeps a CI machine lean and the result the same everywhere.
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v go >/dev/null; then
  echo "install-deps: warning: Go 1.26+ is not installed; the local control plane build (yarn cluster) needs it" >&2
fi
