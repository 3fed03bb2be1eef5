#!/usr/bin/env bash
# Start dockerd in the background if no engine answers, and wait until it does.
set -euo pipefail
if docker info >/dev/null 2>&1; then echo "docker engine already running"; exit 0; fi
log=${DOCKERD_LOG:-/var/log/dockerd.log}
# containerd first (docker.io 28 expects a running containerd socket).
if ! pgrep -x containerd >/dev/null; then
  nohup containerd >/var/log/containerd.log 2>&1 &
fi
nohup dockerd --host=unix:///var/run/docker.sock >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    docker version --format 'docker engine {{.Server.Version}} up'
    exit 0
  fi
  sleep 1
done
echo "dockerd did not come up within 60s; last log lines:" >&2
tail -n 40 "$log" >&2
exit 1
