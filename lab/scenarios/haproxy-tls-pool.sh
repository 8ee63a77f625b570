# haproxy-tls-pool: HAProxy `mode http` terminates TLS, as in haproxy-tls, but with `http-reuse always`:
# requests of different client connections share idle server connections, so the mapping is per request
# and neither side's bytes can be compared with the other's (the client side is encrypted).
DESCRIPTION="HAProxy 'mode http' on VIP 10.99.1.10:443 terminating TLS (self-signed ECDSA P-256 certificate made at run time, TLS 1.3) and forwarding plain HTTP/1.1 to the origin 10.99.2.2:8080 from 10.99.2.1, with 'http-reuse always': idle server connections carry the requests of other client connections (per-request mapping, pooling behind TLS)."
# shellcheck source=haproxy-tls.sh
source "$LAB_DIR/scenarios/haproxy-tls.sh"

scenario_configure() {
  in_ns "$NS_MBOX" ip addr add "$VIP/32" dev mc
  make_certificate
  write_haproxy_tls_config
  sed -i 's/^  http-reuse never$/  http-reuse always/' "$RUN_DIR/haproxy.cfg"
  grep -q '^  http-reuse always$' "$RUN_DIR/haproxy.cfg" || die "haproxy.cfg: could not set http-reuse always"
  start_origin
  start_bg haproxy "$RUN_DIR/haproxy.log" "$NS_MBOX" haproxy -db -f "$RUN_DIR/haproxy.cfg"
  for _ in $(seq 1 50); do
    in_ns "$NS_MBOX" ss -ltn "sport = :$TLS_PORT" | grep -q LISTEN && return 0
    sleep 0.1
  done
  die "haproxy did not start: $(cat "$RUN_DIR/haproxy.log")"
}
# Several requests per connection and more connections at once than the pool holds idle, so that server
# connections change hands while client connections are still open.
scenario_traffic() {
  run_client --prefix tlspool --short 48 --concurrency 6 --multi-every 2 --pad-max 900 --down 60000 \
    --tls-ca "$RUN_DIR/tls-cert.pem"
}
