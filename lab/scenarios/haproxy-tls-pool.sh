# haproxy-tls-pool: HAProxy `mode http` terminates TLS, as in haproxy-tls, but with `http-reuse always`:
# requests of different client connections share idle server connections, so the mapping is per request
# and neither side's bytes can be compared with the other's (the client side is encrypted).
DESCRIPTION="HAProxy 'mode http' on VIP 10.99.1.10:443 terminating TLS (self-signed ECDSA P-256 certificate made at run time, TLS 1.3) and forwarding plain HTTP/1.1 to the origin 10.99.2.2:8080 from 10.99.2.1, with 'http-reuse always': idle server connections carry the requests of other client connections (per-request mapping, pooling behind TLS)."
# shellcheck source=haproxy-tls.sh
source "$LAB_DIR/scenarios/haproxy-tls.sh"

HTTP_REUSE=always

# Several requests per connection and more connections at once than the pool holds idle, so that server
# connections change hands while client connections are still open.
scenario_traffic() {
  run_client --prefix tlspool --short 48 --concurrency 6 --multi-every 2 --pad-max 900 --down 60000 \
    --tls-ca "$RUN_DIR/tls-cert.pem"
}
