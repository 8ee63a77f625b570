# synproxy: netfilter SYNPROXY in the FORWARD path (the man page's rule set). The mbox answers each SYN
# with a cookie SYN-ACK, opens the server connection only after the client's ACK, then splices the two with
# a per-connection sequence offset (server to client) and translated timestamps.
DESCRIPTION="Linux netfilter SYNPROXY on the forwarding path (raw PREROUTING notrack of SYNs; SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460 on INVALID,UNTRACKED; INVALID dropped; nf_conntrack_tcp_loose=0): the mbox answers SYNs with SYN cookies, connects to the origin after the client's ACK, then forwards with server-to-client sequence numbers and timestamps shifted."
CLIENT_FORMAT=pcap-ns
SERVER_FORMAT=pcap-ns
GZIP_CAPTURES=1

scenario_configure() {
  # SYNPROXY's --wscale must match the origin's: 6 MB of receive buffer gives window scale 7.
  in_ns "$NS_SERVER" sysctl -qw net.ipv4.tcp_rmem="4096 131072 6291456"
  in_ns "$NS_MBOX" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
  in_ns "$NS_MBOX" iptables -t raw -A PREROUTING -i mc -p tcp -m tcp --syn --dport "$ORIGIN_PORT" -j CT --notrack
  in_ns "$NS_MBOX" iptables -A FORWARD -i mc -p tcp -m tcp --dport "$ORIGIN_PORT" \
    -m conntrack --ctstate INVALID,UNTRACKED -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
  in_ns "$NS_MBOX" iptables -A FORWARD -i mc -p tcp -m tcp --dport "$ORIGIN_PORT" -m conntrack --ctstate INVALID -j DROP
  start_origin
}
scenario_traffic() { run_client --prefix synproxy --short 100 --concurrency 4 --down 1500000 --up 800000; }
scenario_stop() { stop_bg origin; }
