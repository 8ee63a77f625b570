# Shared shell helpers for the lab: namespaces, tracked processes, captures. Sourced by run.sh.
# Rules: every process is started through `start_bg` (PID recorded, killed by PID), every command runs
# under `timeout`, and namespaces are deleted before and after use so a crashed run leaves nothing behind.

LAB_PREFIX="${DUALCAP_LAB_PREFIX:-dclab}"
NS_CLIENT="$LAB_PREFIX-client"
NS_MBOX="$LAB_PREFIX-mbox"
NS_SERVER="$LAB_PREFIX-server"

# Private test addresses; traffic never leaves these namespaces.
CLIENT_IP=10.99.1.2
MBOX_CLIENT_IP=10.99.1.1
VIP=10.99.1.10
MBOX_SERVER_IP=10.99.2.1
SERVER_IP=10.99.2.2
ORIGIN_PORT=8080
VIP_PORT=80
# IPv6 (unique local addresses), used by scenarios that set LAB_IPV6=1; the IPv4 addresses stay as well.
CLIENT_IP6=fd99:1::2
MBOX_CLIENT_IP6=fd99:1::1
MBOX_SERVER_IP6=fd99:2::1
SERVER_IP6=fd99:2::2

BG_PIDS=()

log() { printf '[lab %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# start_bg NAME LOGFILE NS CMD...: runs CMD in namespace NS in the background, bounded by LAB_PROC_LIMIT
# seconds, and records its PID (the `timeout` process, which forwards signals to the command).
start_bg() {
  local name=$1 logfile=$2 ns=$3; shift 3
  ip netns exec "$ns" timeout --kill-after=5 "${LAB_PROC_LIMIT:-300}" "$@" >"$logfile" 2>&1 &
  local pid=$!
  BG_PIDS+=("$pid")
  eval "PID_${name//-/_}=$pid"
  log "started $name (pid $pid) in $ns: $*"
}

# stop_bg NAME [SIGNAL]: signals one tracked process by PID and waits for it (bounded).
stop_bg() {
  local name=$1 sig=${2:-TERM} var="PID_${1//-/_}"
  local pid=${!var:-}
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { log "$name did not stop, killing pid $pid"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  wait "$pid" 2>/dev/null || true
  eval "PID_${name//-/_}="
}

stop_all_bg() {
  local pid
  for pid in "${BG_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${BG_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  BG_PIDS=()
}

# Processes still inside our namespaces (e.g. forked workers of a crashed run): found by namespace, not
# by name, and killed by PID.
kill_ns_processes() {
  local ns pid
  for ns in "$NS_CLIENT" "$NS_MBOX" "$NS_SERVER"; do
    [ -e "/run/netns/$ns" ] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  done
}

delete_namespaces() {
  kill_ns_processes
  local ns
  for ns in "$NS_CLIENT" "$NS_MBOX" "$NS_SERVER"; do
    [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
  done
}

offloads_off() { in_ns "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 || log "ethtool failed on $1/$2"; }

# client (c0) -- (mc) mbox (ms) -- (s0) server; the mbox routes between 10.99.1.0/24 and 10.99.2.0/24.
build_topology() {
  delete_namespaces
  local ns
  for ns in "$NS_CLIENT" "$NS_MBOX" "$NS_SERVER"; do
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    # IPv6 is off so router solicitations and MLD reports do not make packet counts timing-dependent.
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  ip -n "$NS_CLIENT" link add c0 type veth peer name mc netns "$NS_MBOX"
  ip -n "$NS_SERVER" link add s0 type veth peer name ms netns "$NS_MBOX"
  in_ns "$NS_CLIENT" ip addr add "$CLIENT_IP/24" dev c0
  in_ns "$NS_MBOX" ip addr add "$MBOX_CLIENT_IP/24" dev mc
  in_ns "$NS_MBOX" ip addr add "$MBOX_SERVER_IP/24" dev ms
  in_ns "$NS_SERVER" ip addr add "$SERVER_IP/24" dev s0
  for pair in "$NS_CLIENT c0" "$NS_MBOX mc" "$NS_MBOX ms" "$NS_SERVER s0"; do
    # shellcheck disable=SC2086
    set -- $pair
    in_ns "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
    in_ns "$1" ip link set "$2" up
    offloads_off "$1" "$2"
  done
  in_ns "$NS_CLIENT" ip route add default via "$MBOX_CLIENT_IP"
  in_ns "$NS_SERVER" ip route add default via "$MBOX_SERVER_IP"
  in_ns "$NS_MBOX" sysctl -qw net.ipv4.ip_forward=1
  [ "${LAB_IPV6:-0}" = 1 ] && enable_ipv6
  # A counting rule (no target) that uses conntrack: it makes the mbox track connections, so `conntrack -E`
  # reports them, and its counter is one more independent count of new forwarded connections.
  in_ns "$NS_MBOX" iptables -A FORWARD -p tcp --syn -m conntrack --ctstate NEW
  # Neighbours are resolved before capturing so ARP does not interleave with the first handshakes.
  in_ns "$NS_CLIENT" timeout 5 ping -c1 -W1 "$MBOX_CLIENT_IP" >/dev/null || die "client cannot reach mbox"
  in_ns "$NS_SERVER" timeout 5 ping -c1 -W1 "$MBOX_SERVER_IP" >/dev/null || die "server cannot reach mbox"
}

# IPv6 on the four veth ends, static addresses without duplicate address detection and without router
# solicitations (no autoconfiguration traffic in the captures), the mbox forwarding; neighbours resolved
# before capturing, as for IPv4.
enable_ipv6() {
  local ns dev
  for pair in "$NS_CLIENT c0" "$NS_MBOX mc" "$NS_MBOX ms" "$NS_SERVER s0"; do
    # shellcheck disable=SC2086
    set -- $pair
    in_ns "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=0" "net.ipv6.conf.$2.accept_ra=0" \
      "net.ipv6.conf.$2.router_solicitations=0" "net.ipv6.conf.$2.accept_dad=0"
  done
  in_ns "$NS_CLIENT" ip -6 addr add "$CLIENT_IP6/64" dev c0 nodad
  in_ns "$NS_MBOX" ip -6 addr add "$MBOX_CLIENT_IP6/64" dev mc nodad
  in_ns "$NS_MBOX" ip -6 addr add "$MBOX_SERVER_IP6/64" dev ms nodad
  in_ns "$NS_SERVER" ip -6 addr add "$SERVER_IP6/64" dev s0 nodad
  in_ns "$NS_CLIENT" ip -6 route add default via "$MBOX_CLIENT_IP6"
  in_ns "$NS_SERVER" ip -6 route add default via "$MBOX_SERVER_IP6"
  in_ns "$NS_MBOX" sysctl -qw net.ipv6.conf.all.forwarding=1
  in_ns "$NS_MBOX" ip6tables -A FORWARD -p tcp --syn -m conntrack --ctstate NEW
  in_ns "$NS_CLIENT" timeout 5 ping -6 -c1 -W1 "$MBOX_CLIENT_IP6" >/dev/null || die "client cannot reach mbox over IPv6"
  in_ns "$NS_SERVER" timeout 5 ping -6 -c1 -W1 "$MBOX_SERVER_IP6" >/dev/null || die "server cannot reach mbox over IPv6"
}

# start_capture SIDE IFACE FORMAT FILE: FORMAT is pcap-us, pcap-ns or pcapng; full snaplen, no name lookups.
start_capture() {
  local side=$1 iface=$2 format=$3 file=$4
  case "$format" in
    pcap-us) start_bg "cap-$side" "$RUN_DIR/cap-$side.log" "$NS_MBOX" tcpdump -i "$iface" -s 0 -n -U -w "$file" ;;
    pcap-ns) start_bg "cap-$side" "$RUN_DIR/cap-$side.log" "$NS_MBOX" tcpdump -i "$iface" -s 0 -n -U \
      --time-stamp-precision=nano -w "$file" ;;
    pcapng) start_bg "cap-$side" "$RUN_DIR/cap-$side.log" "$NS_MBOX" dumpcap -q -i "$iface" -s 0 -w "$file" ;;
    *) die "unknown capture format $format" ;;
  esac
}

# Waits until a capture process says it is capturing (bounded), so no early packet is missed.
wait_capture_ready() {
  local logfile=$1
  for _ in $(seq 1 100); do grep -q -E "listening on|Capturing on" "$logfile" 2>/dev/null && return 0; sleep 0.1; done
  die "capture logging to $logfile did not start"
}

ext_of() { case "$1" in pcapng) echo pcapng ;; *) echo pcap ;; esac; }

# Versions of the software that produced a sample, as JSON.
versions() {
  local haproxy nginx tcpdump tshark kernel iptables conntrack node
  haproxy=$(haproxy -v 2>/dev/null | awk 'NR==1{print $3}' || true)
  nginx=$(nginx -v 2>&1 | sed 's|.*nginx/||' || true)
  tcpdump=$(tcpdump --version 2>/dev/null | awk 'NR==1{print $3}' || true)
  tshark=$(tshark --version 2>/dev/null | awk 'NR==1{print $3}' || true)
  iptables=$(iptables --version | awk '{print $2, $3}' || true)
  conntrack=$(conntrack --version 2>&1 | awk 'NR==1{print $2}' || true)
  printf '{"kernel":"%s","haproxy":"%s","nginx":"%s","tcpdump":"%s","tshark":"%s","iptables":"%s","conntrack":"%s","node":"%s"}\n' \
    "$(uname -r)" "$haproxy" "$nginx" "$tcpdump" "$tshark" "$iptables" "$conntrack" "$(node --version)"
}

# Starts the origin (Node HTTP server) in the server namespace on SERVER_IP:ORIGIN_PORT.
start_origin() {
  start_bg origin "$RUN_DIR/origin.stdout" "$NS_SERVER" node "$LAB_DIR/traffic/origin.mjs" \
    --listen "${1:-$SERVER_IP:$ORIGIN_PORT}" --log "$RUN_DIR/origin.log"
  for _ in $(seq 1 50); do grep -q listening "$RUN_DIR/origin.log" 2>/dev/null && return 0; sleep 0.1; done
  die "origin did not start"
}

# wait_listening NS PORT WHAT LOGFILE...: waits (at most 5 s) until something in namespace NS listens on TCP
# PORT; otherwise stops the run with WHAT's logs.
wait_listening() {
  local ns=$1 port=$2 what=$3
  shift 3
  for _ in $(seq 1 50); do
    in_ns "$ns" ss -ltn "sport = :$port" | grep -q LISTEN && return 0
    sleep 0.1
  done
  die "$what did not start: $(cat "$@")"
}

# run_client ARGS...: the traffic generator in the client namespace, bounded in time.
run_client() {
  in_ns "$NS_CLIENT" timeout --kill-after=5 "${CLIENT_LIMIT:-150}" node "$LAB_DIR/traffic/client.mjs" \
    --target "$TARGET" --log "$RUN_DIR/client.log" "$@" || die "client failed (exit $?)"
}
