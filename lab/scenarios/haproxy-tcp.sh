# haproxy-tcp: HAProxy `mode tcp` terminates TCP: two independent handshakes and ISNs per connection.
DESCRIPTION="HAProxy 'mode tcp' full proxy on VIP 10.99.1.10:80 to the origin 10.99.2.2:8080: each client connection is terminated and a second, independent TCP connection (own ISNs, options, segmentation) is opened from 10.99.2.1."
CLIENT_FORMAT=pcapng
SERVER_FORMAT=pcap-ns
GZIP_CAPTURES=1
VIP_USED="\"$VIP\""
TARGET="$VIP:$VIP_PORT"
# shellcheck source=haproxy.sh
source "$LAB_DIR/scenarios/haproxy.sh"

scenario_configure() { start_origin; start_haproxy; }
scenario_traffic() { run_client --prefix haproxy --short 80 --concurrency 4 --down 1500000 --up 2000000,500000; }
# SIGUSR1 is HAProxy's soft stop: it finishes and logs the remaining connections.
scenario_stop() { stop_bg haproxy USR1; stop_bg origin; }
