# haproxy-v6: HAProxy `mode tcp` on an IPv6 VIP in front of an IPv4 origin: the two legs of each connection
# are of different address families, so nothing but content and timing relates them.
DESCRIPTION="HAProxy 'mode tcp' full proxy on the IPv6 VIP [fd99:1::10]:80 to the IPv4 origin 10.99.2.2:8080: each IPv6 client connection is terminated and an independent IPv4 connection is opened from 10.99.2.1."
CLIENT_FORMAT=pcap-ns
SERVER_FORMAT=pcapng
GZIP_CAPTURES=1
LAB_IPV6=1
VIP6=fd99:1::10
ADDR_CLIENT=$CLIENT_IP6
ADDR_MBOX_CLIENT=$MBOX_CLIENT_IP6
VIP_USED="\"$VIP6\""
TARGET="[$VIP6]:$VIP_PORT"
# shellcheck source=haproxy.sh
source "$LAB_DIR/scenarios/haproxy.sh"

scenario_configure() {
  in_ns "$NS_MBOX" ip -6 addr add "$VIP6/128" dev mc nodad
  write_haproxy_config
  sed -i "s/^  bind .*/  bind [$VIP6]:$VIP_PORT/" "$RUN_DIR/haproxy.cfg"
  start_origin
  start_bg haproxy "$RUN_DIR/haproxy.log" "$NS_MBOX" haproxy -db -f "$RUN_DIR/haproxy.cfg"
  wait_listening "$NS_MBOX" "$VIP_PORT" haproxy "$RUN_DIR/haproxy.log"
}
scenario_traffic() { run_client --prefix haproxy-six --short 60 --concurrency 4 --multi-every 3 --down 900000 --up 700000; }
# SIGUSR1 is HAProxy's soft stop: it finishes and logs the remaining connections.
scenario_stop() { stop_bg haproxy USR1; stop_bg origin; }
