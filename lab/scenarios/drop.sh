# drop: a router that drops a few percent of TCP packets in each direction. Each dropped packet is copied
# to NFLOG (group 5 client-to-server, group 6 server-to-client) just before the DROP, so the truth lists
# every one of them.
DESCRIPTION="Linux router dropping about 3% of forwarded TCP packets in each direction at random (iptables statistic --mode random into chains that NFLOG then DROP); everything else is forwarded unchanged except TTL - 1."
CLIENT_FORMAT=pcap-ns
SERVER_FORMAT=pcapng
GZIP_CAPTURES=1
NFLOG_GROUPS=(5 6)
DROP_PROBABILITY=0.03

scenario_configure() {
  local chain group dir
  for dir in c2s:mc:ms:5 s2c:ms:mc:6; do
    IFS=: read -r chain in out group <<<"$dir"
    chain="DROP_${chain^^}"
    in_ns "$NS_MBOX" iptables -N "$chain"
    in_ns "$NS_MBOX" iptables -A "$chain" -j NFLOG --nflog-group "$group" --nflog-prefix "$chain"
    in_ns "$NS_MBOX" iptables -A "$chain" -j DROP
    in_ns "$NS_MBOX" iptables -I FORWARD 1 -i "$in" -o "$out" -p tcp \
      -m statistic --mode random --probability "$DROP_PROBABILITY" -j "$chain"
  done
  start_origin
}
scenario_traffic() { run_client --prefix drop --short 80 --concurrency 4 --down 1000000 --up 600000; }
scenario_stop() { stop_bg origin; }
