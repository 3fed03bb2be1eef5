#!/usr/bin/env bash
# Kept for old instructions: the host setup is scripts/setup-host.sh (installs Docker Engine
# >= 28 with Compose v2, gitleaks, uv and docker-registry; idempotent). This installs only.
set -euo pipefail
exec bash "$(dirname "$0")/../scripts/setup-host.sh" --yes --no-start "$@"
