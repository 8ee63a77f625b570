# haproxy-tls: HAProxy `mode http` terminates TLS from the clients and speaks plain HTTP to the origin.
# The certificate and its key are made at run time in the run's folder (never kept); the client trusts the
# certificate as its own CA. `http-reuse never`: each client connection gets its own server connection,
# kept for that client connection only, so the mapping is one to one and the truth says so from the log.
DESCRIPTION="HAProxy 'mode http' on VIP 10.99.1.10:443 terminating TLS (self-signed ECDSA P-256 certificate made at run time, TLS 1.3) and forwarding plain HTTP/1.1 to the origin 10.99.2.2:8080 from 10.99.2.1, with 'http-reuse never': one server connection per client connection, opened once the first request is decrypted."
CLIENT_FORMAT=pcapng
SERVER_FORMAT=pcap-ns
# Ciphertext does not compress; the plain server side does.
GZIP_CAPTURES=1
VIP_USED="\"$VIP\""
TLS_PORT=443
# HAProxy's server connection reuse (haproxy-tls-pool sets always).
HTTP_REUSE=never
TARGET="$VIP:$TLS_PORT"

make_certificate() {
  timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=dualcap-lab" -addext "subjectAltName=IP:$VIP" \
    -keyout "$RUN_DIR/tls-key.pem" -out "$RUN_DIR/tls-cert.pem" >"$RUN_DIR/openssl.log" 2>&1 ||
    die "openssl could not make the certificate: $(cat "$RUN_DIR/openssl.log")"
  cat "$RUN_DIR/tls-cert.pem" "$RUN_DIR/tls-key.pem" >"$RUN_DIR/tls.pem"
  chmod 600 "$RUN_DIR/tls-key.pem" "$RUN_DIR/tls.pem"
}

# The log line (one per request) carries the client port, the server-side source and the request id, so the
# truth builder cross-checks the client/origin join against HAProxy's own record (lab/truth/device-logs.mjs).
write_haproxy_tls_config() {
  cat >"$RUN_DIR/haproxy.cfg" <<CFG
global
  log stdout format raw local0
  maxconn 1000
defaults
  mode http
  log global
  option http-keep-alive
  http-reuse $HTTP_REUSE
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 10s
frontend fe
  bind $VIP:$TLS_PORT ssl crt $RUN_DIR/tls.pem ssl-min-ver TLSv1.3
  capture request header X-Request-Id len 40
  log-format "dualcap ci=%ci cp=%cp fi=%fi fp=%fp bi=%bi bp=%bp si=%si sp=%sp ts=%ts Tt=%Tt B=%B U=%U t=%Ts id=%hr ssl=%sslv"
  default_backend be
backend be
  server origin $SERVER_IP:$ORIGIN_PORT
CFG
}

scenario_configure() {
  in_ns "$NS_MBOX" ip addr add "$VIP/32" dev mc
  make_certificate
  write_haproxy_tls_config
  start_origin
  start_bg haproxy "$RUN_DIR/haproxy.log" "$NS_MBOX" haproxy -db -f "$RUN_DIR/haproxy.cfg"
  wait_listening "$NS_MBOX" "$TLS_PORT" haproxy "$RUN_DIR/haproxy.log"
}
scenario_traffic() {
  run_client --prefix tls --short 40 --concurrency 4 --pad-max 900 --down 60000 --up 50000 \
    --tls-ca "$RUN_DIR/tls-cert.pem"
}
# SIGUSR1 is HAProxy's soft stop: it finishes and logs the remaining connections. The key goes with the
# run folder; it is removed here too in case the folder is kept (DUALCAP_LAB_KEEP=1).
scenario_stop() {
  stop_bg haproxy USR1
  stop_bg origin
  rm -f "$RUN_DIR/tls-key.pem" "$RUN_DIR/tls.pem"
}
