#!/usr/bin/env bash
# Start dockerd in the background if no engine answers, and wait until it does.
# Registers a second OCI runtime name, bb-test-runc (an alias of runc), so the tests can
# prove a bottle's `runtime:` reaches the agent: written to /etc/docker/daemon.json before
# dockerd starts; if dockerd already runs without it, added and reloaded with SIGHUP (never
# a restart: other containers may be running).
set -euo pipefail
log=${DOCKERD_LOG:-/var/log/dockerd.log}
daemon_json=${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
test_runtime=bb-test-runc

runc_path() {
  local p
  for p in "$(command -v runc 2>/dev/null || true)" /usr/sbin/runc /usr/bin/runc; do
    [[ -n $p && -x $p ]] && { echo "$p"; return 0; }
  done
  return 1
}

# Add bb-test-runc to daemon.json, keeping every other setting; 0 if the file changed.
register_test_runtime() {
  local runc; runc=$(runc_path) || { echo "no runc binary found; $test_runtime not registered" >&2; return 1; }
  mkdir -p "$(dirname "$daemon_json")"
  if [[ ! -s $daemon_json ]]; then
    printf '{"runtimes": {"%s": {"path": "%s"}}}\n' "$test_runtime" "$runc" >"$daemon_json"
    return 0
  fi
  local py; py=$(command -v python3 || true)
  if [[ -z $py ]]; then
    echo "$daemon_json exists and no python3 to merge it; $test_runtime not registered" >&2
    return 1
  fi
  "$py" - "$daemon_json" "$test_runtime" "$runc" <<'EOF'
import json, os, sys
path, name, runc = sys.argv[1:]
with open(path) as f:
    config = json.load(f)
runtimes = config.setdefault("runtimes", {})
if runtimes.get(name, {}).get("path") == runc:
    sys.exit(3)  # already there
runtimes[name] = {"path": runc}
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
EOF
}

has_test_runtime() {
  docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"$test_runtime\""
}

if docker info >/dev/null 2>&1; then
  echo "docker engine already running"
  if ! has_test_runtime; then
    rc=0; register_test_runtime || rc=$?
    if [[ $rc -eq 0 || $rc -eq 3 ]]; then
      pid=$(pidof dockerd || true)
      if [[ -n $pid ]]; then
        kill -HUP $pid
        for _ in $(seq 1 30); do has_test_runtime && break; sleep 1; done
      fi
    fi
    has_test_runtime && echo "registered OCI runtime $test_runtime (SIGHUP)" \
      || echo "warning: $test_runtime is not registered; its tests will skip" >&2
  fi
  exit 0
fi
if ! grep -q "\"$test_runtime\"" "$daemon_json" 2>/dev/null; then
  register_test_runtime || echo "warning: $test_runtime not registered; its tests will skip" >&2
fi
# containerd first (docker.io 28 expects a running containerd socket).
if ! pgrep -x containerd >/dev/null; then
  nohup containerd >/var/log/containerd.log 2>&1 &
fi
nohup dockerd --host=unix:///var/run/docker.sock >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    docker version --format 'docker engine {{.Server.Version}} up'
    has_test_runtime && echo "OCI runtime $test_runtime registered"
    exit 0
  fi
  sleep 1
done
echo "dockerd did not come up within 60s; last log lines:" >&2
tail -n 40 "$log" >&2
exit 1
