#!/usr/bin/env bash
# Builds client -- mbox -- server in network namespaces, runs real middlebox software on the mbox, captures
# both of its sides at once and writes OUT/<scenario>/{client-side,server-side}.<ext>[.gz] + truth.json.
# Usage: bash lab/run.sh [--out DIR] [scenario...]   (default: samples/, every scenario)
set -euo pipefail
LAB_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_DIR="$(dirname "$LAB_DIR")"
# shellcheck source=lib/common.sh
source "$LAB_DIR/lib/common.sh"

ALL_SCENARIOS=(routed routed6 nat haproxy-tcp haproxy-v6 haproxy-tls haproxy-tls-pool nginx-pool synproxy seed-wrong-synack seed-synack-retransmit drop)
OUT_DIR="$REPO_DIR/samples"
SCENARIOS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT_DIR="$2"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) SCENARIOS+=("$1"); shift ;;
  esac
done
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=("${ALL_SCENARIOS[@]}")
for s in "${SCENARIOS[@]}"; do [ -f "$LAB_DIR/scenarios/$s.sh" ] || die "unknown scenario '$s' (known: ${ALL_SCENARIOS[*]})"; done

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, iptables)"

install_missing() {
  local -A pkg_of=([tcpdump]=tcpdump [tshark]=tshark [dumpcap]=tshark [haproxy]=haproxy [nginx]=nginx
    [iptables]=iptables [ip6tables]=iptables [conntrack]=conntrack [ethtool]=ethtool [ip]=iproute2 [ping]=iputils-ping [openssl]=openssl)
  local need=() cmd
  for cmd in "${!pkg_of[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || need+=("${pkg_of[$cmd]}")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}
install_missing
command -v node >/dev/null || die "node not found"

WORK_ROOT="$(mktemp -d /tmp/dualcap-lab.XXXXXX)"
cleanup() {
  local rc=$?
  stop_all_bg
  delete_namespaces
  [ "${DUALCAP_LAB_KEEP:-0}" = 1 ] && log "kept work files in $WORK_ROOT" || rm -rf "$WORK_ROOT"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUT_DIR"
for SCENARIO in "${SCENARIOS[@]}"; do
  log "=== $SCENARIO"
  RUN_DIR="$WORK_ROOT/$SCENARIO"
  mkdir -p "$RUN_DIR"
  chmod 755 "$WORK_ROOT" "$RUN_DIR"
  # Defaults a scenario file may override.
  NFLOG_GROUPS=()
  GZIP_CAPTURES=0
  LAB_IPV6=0
  ADDR_CLIENT=$CLIENT_IP
  ADDR_SERVER=$SERVER_IP
  ADDR_MBOX_CLIENT=$MBOX_CLIENT_IP
  ADDR_MBOX_SERVER=$MBOX_SERVER_IP
  VIP_USED=
  TARGET="$SERVER_IP:$ORIGIN_PORT"
  # shellcheck disable=SC1090
  source "$LAB_DIR/scenarios/$SCENARIO.sh"
  build_topology
  scenario_configure

  CLIENT_FILE="$RUN_DIR/client-side.$(ext_of "$CLIENT_FORMAT")"
  SERVER_FILE="$RUN_DIR/server-side.$(ext_of "$SERVER_FORMAT")"
  start_bg conntrack "$RUN_DIR/conntrack.log" "$NS_MBOX" conntrack -E -p tcp -o timestamp,id
  start_capture client mc "$CLIENT_FORMAT" "$CLIENT_FILE"
  start_capture server ms "$SERVER_FORMAT" "$SERVER_FILE"
  for group in "${NFLOG_GROUPS[@]}"; do
    start_bg "nflog-$group" "$RUN_DIR/nflog-$group.log" "$NS_MBOX" tcpdump -i "nflog:$group" -s 0 -n -U \
      -w "$RUN_DIR/nflog-$group.pcap"
  done
  wait_capture_ready "$RUN_DIR/cap-client.log"
  wait_capture_ready "$RUN_DIR/cap-server.log"
  for group in "${NFLOG_GROUPS[@]}"; do wait_capture_ready "$RUN_DIR/nflog-$group.log"; done
  sleep 0.5

  TRAFFIC_START=$(date +%s.%N)
  scenario_traffic
  TRAFFIC_END=$(date +%s.%N)
  # Closing handshakes and delayed ACKs finish before the captures stop.
  sleep "${SETTLE_SECONDS:-2}"

  stop_bg cap-client INT
  stop_bg cap-server INT
  for group in "${NFLOG_GROUPS[@]}"; do stop_bg "nflog-$group" INT; done
  stop_bg conntrack INT
  in_ns "$NS_MBOX" iptables-save -c >"$RUN_DIR/iptables-mbox.txt" 2>/dev/null || true
  in_ns "$NS_CLIENT" iptables-save -c >"$RUN_DIR/iptables-client.txt" 2>/dev/null || true
  scenario_stop
  stop_all_bg

  printf "%s\n" "$DESCRIPTION" >"$RUN_DIR/description.txt"
  cat >"$RUN_DIR/run.json" <<JSON
{"scenario":"$SCENARIO","clientFormat":"$CLIENT_FORMAT","serverFormat":"$SERVER_FORMAT","trafficStart":$TRAFFIC_START,"trafficEnd":$TRAFFIC_END,
 "addresses":{"client":"$ADDR_CLIENT","vip":${VIP_USED:-null},"mboxClientSide":"$ADDR_MBOX_CLIENT","mboxServerSide":"$ADDR_MBOX_SERVER","server":"$ADDR_SERVER"},
 "nflogGroups":[$(IFS=,; echo "${NFLOG_GROUPS[*]}")],"gzip":$GZIP_CAPTURES}
JSON
  versions >"$RUN_DIR/versions.json"
  DEST="$OUT_DIR/$SCENARIO"
  rm -rf "$DEST"
  mkdir -p "$DEST"
  timeout 300 node "$LAB_DIR/truth/build.mjs" "$RUN_DIR" "$DEST"
  delete_namespaces
  log "=== $SCENARIO done: $(ls "$DEST" | tr '\n' ' ')"
done
