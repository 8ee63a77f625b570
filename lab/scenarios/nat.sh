# nat: destination NAT of a virtual IP to the origin, and source NAT (masquerade, fully random ports).
DESCRIPTION="Linux netfilter NAT: DNAT of VIP 10.99.1.10:80 to the origin 10.99.2.2:8080 and MASQUERADE --random-fully to the mbox's server-side address. Sequence numbers, options and payload unchanged."
CLIENT_FORMAT=pcapng
SERVER_FORMAT=pcapng
GZIP_CAPTURES=1
VIP_USED="\"$VIP\""
TARGET="$VIP:$VIP_PORT"

scenario_configure() {
  in_ns "$NS_MBOX" ip addr add "$VIP/32" dev mc
  in_ns "$NS_MBOX" iptables -t nat -A PREROUTING -i mc -d "$VIP" -p tcp --dport "$VIP_PORT" \
    -j DNAT --to-destination "$SERVER_IP:$ORIGIN_PORT"
  in_ns "$NS_MBOX" iptables -t nat -A POSTROUTING -o ms -p tcp -j MASQUERADE --random-fully
  start_origin
}
scenario_traffic() { run_client --prefix nat --short 80 --concurrency 4 --down 2000000 --up 700000; }
scenario_stop() { stop_bg origin; }
