#!/usr/bin/env bash
# CI step for the lab: when this machine can run it (root, network namespaces, the tools or apt to get
# them), regenerate three scenarios (one over IPv6) into a temporary folder and verify them with the
# checker; also verify the committed samples. Otherwise say why and succeed, so CI on ordinary runners
# still passes.
set -euo pipefail
LAB_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_DIR="$(dirname "$LAB_DIR")"
SKIP="lab: skipped (needs root and network namespaces)"

can_run() {
  [ "$(id -u)" = 0 ] || return 1
  command -v ip >/dev/null 2>&1 || return 1
  local probe="dclabci-probe-$$"
  ip netns add "$probe" 2>/dev/null || return 1
  ip netns del "$probe" 2>/dev/null || true
  # Tools missing and no apt to install them: cannot run either.
  if ! command -v tshark >/dev/null 2>&1 || ! command -v haproxy >/dev/null 2>&1 || ! command -v tcpdump >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || return 1
  fi
  return 0
}

if ! can_run; then
  echo "$SKIP"
  exit 0
fi

OUT="$(mktemp -d /tmp/dualcap-lab-ci.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT
# A prefix of its own keeps CI's namespaces apart from a lab run on the same machine.
export DUALCAP_LAB_PREFIX=dclabci
timeout 240 bash "$LAB_DIR/run.sh" --out "$OUT" routed haproxy-tcp routed6
node "$LAB_DIR/check.mjs" "$OUT"
node "$LAB_DIR/check.mjs" "$REPO_DIR/samples"
echo "lab: ok"
