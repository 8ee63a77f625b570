# Shared by haproxy-tcp and seed-wrong-synack: HAProxy in TCP mode on the VIP, one origin behind it.
# The log line carries the client port and the server-side source port of every connection (%cp, %bp).
write_haproxy_config() {
  cat >"$RUN_DIR/haproxy.cfg" <<CFG
global
  log stdout format raw local0
  maxconn 1000
defaults
  mode tcp
  log global
  timeout connect 5s
  timeout client ${HAPROXY_CLIENT_TIMEOUT:-60s}
  timeout server ${HAPROXY_CLIENT_TIMEOUT:-60s}
frontend fe
  bind $VIP:$VIP_PORT
  log-format "dualcap ci=%ci cp=%cp fi=%fi fp=%fp bi=%bi bp=%bp si=%si sp=%sp ts=%ts Tt=%Tt B=%B U=%U t=%Ts"
  default_backend be
backend be
  server origin $SERVER_IP:$ORIGIN_PORT
CFG
}

start_haproxy() {
  in_ns "$NS_MBOX" ip addr add "$VIP/32" dev mc
  write_haproxy_config
  start_bg haproxy "$RUN_DIR/haproxy.log" "$NS_MBOX" haproxy -db -f "$RUN_DIR/haproxy.cfg"
  wait_listening "$NS_MBOX" "$VIP_PORT" haproxy "$RUN_DIR/haproxy.log"
}
