# routed: the mbox is a plain Linux router. Same tuples, same sequence numbers, TTL - 1.
DESCRIPTION="Plain IPv4 forwarding by a Linux router: packets cross unchanged except TTL - 1 and the IP checksum."
CLIENT_FORMAT=pcap-us
SERVER_FORMAT=pcap-ns
GZIP_CAPTURES=1

scenario_configure() { start_origin; }
scenario_traffic() { run_client --prefix routed --short 60 --concurrency 4 --down 600000,1500000 --up 900000; }
scenario_stop() { stop_bg origin; }
