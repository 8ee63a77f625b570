# routed6: the mbox is a plain Linux router for IPv6. Same tuples, same sequence numbers, hop limit - 1.
DESCRIPTION="Plain IPv6 forwarding by a Linux router between fd99:1::/64 and fd99:2::/64: packets cross unchanged except the hop limit (- 1)."
CLIENT_FORMAT=pcapng
SERVER_FORMAT=pcap-ns
GZIP_CAPTURES=1
LAB_IPV6=1
ADDR_CLIENT=$CLIENT_IP6
ADDR_SERVER=$SERVER_IP6
ADDR_MBOX_CLIENT=$MBOX_CLIENT_IP6
ADDR_MBOX_SERVER=$MBOX_SERVER_IP6
TARGET="[$SERVER_IP6]:$ORIGIN_PORT"

scenario_configure() { start_origin "[$SERVER_IP6]:$ORIGIN_PORT"; }
scenario_traffic() { run_client --prefix routed-six --short 50 --concurrency 4 --multi-every 4 --down 800000 --up 600000; }
scenario_stop() { stop_bg origin; }
