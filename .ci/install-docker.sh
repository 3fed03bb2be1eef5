#!/usr/bin/env bash
# Install Docker Engine >= 28 with Compose v2, and gitleaks 8.x, on Debian bookworm.
#
# Why: bookworm's docker.io is 20.10 (embedded-DNS leak CVE-2024-29018, no isolated
# gateway mode). Debian unstable's docker.io, docker-compose and gitleaks install
# cleanly on bookworm with dpkg, so we fetch exactly those .debs from an unstable
# source that is added only for the download and removed again afterwards.
# Idempotent: does nothing when a new-enough engine, compose and gitleaks are present.
set -euo pipefail

need_install=0
if ! command -v dockerd >/dev/null 2>&1; then need_install=1
elif ! dockerd --version | grep -Eq 'version (2[89]|[3-9][0-9])\.'; then need_install=1
fi
command -v gitleaks >/dev/null 2>&1 || need_install=1
if ! docker compose version >/dev/null 2>&1; then need_install=1; fi

if [[ $need_install == 1 ]]; then
  echo "==> installing docker.io, docker-compose, gitleaks from Debian unstable (dpkg)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Bookworm-side dependencies of the unstable packages.
  # runc comes from bookworm: unstable's runc needs a newer glibc.
  apt-get install -y -qq runc iptables libseccomp2 pigz xz-utils sysvinit-utils \
    debootstrap ca-certificates git >/dev/null
  src=/etc/apt/sources.list.d/bb-unstable.sources
  cat >"$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: unstable
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  trap 'rm -f "$src"; apt-get update -qq || true' EXIT
  apt-get update -qq
  work=$(mktemp -d)
  (cd "$work" && apt-get download -qq docker.io docker-compose gitleaks containerd tini-static docker-buildx 2>&1 | tail -n 5) || true
  ls "$work"
  rm -f "$src"; trap - EXIT
  apt-get update -qq
  # tini-static replaces tini (docker.io wants one of them).
  dpkg -r tini >/dev/null 2>&1 || true
  dpkg -i "$work"/*.deb >/dev/null
  rm -rf "$work"
fi

# The docker CLI plugin path: Debian's docker-compose installs the v2 plugin here.
dockerd --version
docker compose version
gitleaks version
