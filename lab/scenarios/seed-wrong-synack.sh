# seed-wrong-synack: the first seed thread, reproduced with real state behind a terminating proxy.
DESCRIPTION="HAProxy 'mode tcp' (like the thread's load balancer) on VIP 10.99.1.10:80. The client abandons one connection without the proxy learning it (its RST is dropped inside the client namespace) and reuses the same local port: the proxy answers the new SYN with an RFC 5961 challenge ACK of the old connection (ack not ISN+1), the client's SYN retransmissions get the same answer until it gives up (tcp_syn_retries=2), and no SYN reaches the server. A third attempt on the same port, with RSTs no longer dropped, recovers after one challenge ACK. Normal connections before and after."
CLIENT_FORMAT=pcapng
SERVER_FORMAT=pcap-us
GZIP_CAPTURES=0
VIP_USED="\"$VIP\""
TARGET="$VIP:$VIP_PORT"
SEED_PORT=61001
# shellcheck source=haproxy.sh
source "$LAB_DIR/scenarios/haproxy.sh"

scenario_configure() {
  in_ns "$NS_CLIENT" sysctl -qw net.ipv4.tcp_syn_retries=2
  start_origin
  start_haproxy
}
scenario_traffic() {
  in_ns "$NS_CLIENT" timeout --kill-after=5 120 node "$LAB_DIR/traffic/seed-client.mjs" --target "$TARGET" \
    --prefix seed-wrong --log "$RUN_DIR/client.log" --port "$SEED_PORT" --before 30 --after 30 ||
    die "seed client failed"
}
scenario_stop() { stop_bg haproxy USR1; stop_bg origin; }
