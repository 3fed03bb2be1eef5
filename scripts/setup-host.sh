#!/usr/bin/env bash
# Bring a bare Debian or Ubuntu host to what `bb` needs, in one idempotent command:
#   Docker Engine >= 28 with Compose v2 (and buildx), gitleaks 8.x, uv, Debian's
#   docker-registry (a loopback registry for `bb images publish` tests and the smolvm
#   freezer), debootstrap and git; then starts the engine if none answers.
#
#   sudo scripts/setup-host.sh            # says what it will install, asks, installs
#   sudo scripts/setup-host.sh --yes      # no question (CI: .ci/run uses this)
#   scripts/setup-host.sh --check         # only say what is missing (exit 1 if anything)
#
# Why not the distribution's docker.io: bookworm's is 20.10 (embedded-DNS leak
# CVE-2024-29018, no isolated gateway mode). On Debian, unstable's docker.io, docker-compose,
# gitleaks (and their containerd, tini-static, buildx) install cleanly on bookworm with dpkg,
# so exactly those .debs are downloaded from an unstable source that is added only for the
# download and removed again. On Ubuntu, Docker's own apt repository (download.docker.com)
# provides docker-ce >= 28 and the compose plugin; gitleaks comes from its GitHub release.
# Running it twice changes nothing the second time.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
assume_yes=0 check_only=0 start_engine=1
for arg in "$@"; do
  case $arg in
    -y|--yes) assume_yes=1 ;;
    --check) check_only=1 ;;
    --no-start) start_engine=0 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
  esac
done

have() { command -v "$1" >/dev/null 2>&1; }
engine_ok() { have dockerd && dockerd --version | grep -Eq 'version (2[89]|[3-9][0-9])\.'; }
compose_ok() { have docker && docker compose version >/dev/null 2>&1; }
# Debian's gitleaks build prints "version is set by build process": presence is the check.
gitleaks_ok() { have gitleaks; }
uv_ok() { have uv || [[ -x /opt/bb-uv/bin/uv ]]; }
registry_ok() { have docker-registry || [[ -x /usr/bin/docker-registry ]]; }

missing=()
engine_ok || missing+=("Docker Engine >= 28")
compose_ok || missing+=("Docker Compose v2")
gitleaks_ok || missing+=("gitleaks")
uv_ok || missing+=("uv")
registry_ok || missing+=("docker-registry (Debian's Distribution registry)")
have debootstrap || missing+=("debootstrap")
have git || missing+=("git")

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup-host: everything bb needs is installed."
else
  echo "setup-host: will install: $(IFS=,; echo "${missing[*]}" | sed 's/,/, /g')"
fi
if [[ $check_only == 1 ]]; then
  [[ ${#missing[@]} -eq 0 ]] || exit 1
  exit 0
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup-host: installing needs root: run it with sudo" >&2
    exit 1
  fi
  if [[ $assume_yes == 0 ]]; then
    if [[ -t 0 ]]; then
      read -r -p "Proceed? [y/N] " answer
      [[ $answer == [yY]* ]] || { echo "nothing installed"; exit 1; }
    else
      echo "setup-host: not a terminal; pass --yes to install" >&2
      exit 1
    fi
  fi
  . /etc/os-release
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq ca-certificates curl git debootstrap iptables pigz xz-utils \
    python3 python3-venv >/dev/null

  if ! engine_ok || ! compose_ok || ! gitleaks_ok; then
    if [[ ${ID:-} == debian ]]; then
      echo "==> docker.io, docker-compose, gitleaks from Debian unstable (dpkg)"
      # runc comes from the running release: unstable's runc needs a newer glibc.
      apt-get install -y -qq runc libseccomp2 sysvinit-utils >/dev/null
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
      (cd "$work" && apt-get download -qq docker.io docker-compose gitleaks containerd \
        tini-static docker-buildx 2>&1 | tail -n 5) || true
      rm -f "$src"; trap - EXIT
      apt-get update -qq
      dpkg -r tini >/dev/null 2>&1 || true   # tini-static replaces tini (docker.io wants one)
      dpkg -i "$work"/*.deb >/dev/null
      rm -rf "$work"
    elif [[ ${ID:-} == ubuntu ]]; then
      echo "==> docker-ce and the compose plugin from Docker's apt repository"
      install -m 0755 -d /etc/apt/keyrings
      curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o /etc/apt/keyrings/docker.asc
      echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] \
https://download.docker.com/linux/ubuntu ${VERSION_CODENAME} stable" \
        >/etc/apt/sources.list.d/docker.list
      apt-get update -qq
      apt-get install -y -qq docker-ce docker-ce-cli containerd.io docker-buildx-plugin \
        docker-compose-plugin >/dev/null
      if ! gitleaks_ok; then
        echo "==> gitleaks 8.26.0 from its GitHub release"
        arch=$(dpkg --print-architecture); [[ $arch == amd64 ]] && arch=x64
        curl -fsSL "https://github.com/gitleaks/gitleaks/releases/download/v8.26.0/gitleaks_8.26.0_linux_${arch}.tar.gz" \
          | tar -xz -C /usr/local/bin gitleaks
      fi
    else
      echo "setup-host: ${PRETTY_NAME:-this system} is neither Debian nor Ubuntu; install" \
        "Docker Engine >= 28, Compose v2 and gitleaks 8.x yourself" >&2
      exit 1
    fi
  fi

  if ! registry_ok; then
    echo "==> docker-registry (apt)"
    # The package enables a service asking for htpasswd auth; bb runs its own instance
    # (127.0.0.1, no auth, temporary storage) and never uses the service.
    apt-get install -y -qq docker-registry >/dev/null
  fi

  if ! uv_ok; then
    echo "==> uv (a venv in /opt/bb-uv)"
    python3 -m venv /opt/bb-uv
    /opt/bb-uv/bin/pip install --quiet --disable-pip-version-check uv
  fi
fi

if [[ $start_engine == 1 ]]; then
  bash "$here/../.ci/start-docker.sh"
fi
dockerd --version
docker compose version
echo "gitleaks: $(gitleaks version 2>&1 | head -n 1) ($(command -v gitleaks))"
{ have uv && uv --version; } || /opt/bb-uv/bin/uv --version
echo "docker-registry: $(command -v docker-registry || echo /usr/bin/docker-registry)"
