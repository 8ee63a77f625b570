# seed-synack-retransmit: the second seed thread. The origin listens with TCP_DEFER_ACCEPT (nginx
# `listen ... deferred`), so a client that completes the handshake and stays silent has its ACK ignored:
# the server re-sends its SYN-ACK although the ACK was captured. The mbox is a plain router.
DESCRIPTION="Plain Linux router; the origin is nginx listening with 'deferred' (TCP_DEFER_ACCEPT, 1 s) in front of the Node origin. Every fifth client connects and stays silent for 3 s: the server ignores its handshake ACK and re-sends the SYN-ACK after about 1 s, the client ACKs again, then sends its request. The other clients speak at once and are accepted on their first data."
CLIENT_FORMAT=pcap-us
SERVER_FORMAT=pcapng
GZIP_CAPTURES=0

scenario_configure() {
  start_origin "127.0.0.1:8081"
  mkdir -p "$RUN_DIR/nginx"
  cat >"$RUN_DIR/nginx.conf" <<CFG
user root;
worker_processes 1;
daemon off;
pid $RUN_DIR/nginx/nginx.pid;
error_log $RUN_DIR/nginx-error.log info;
events { worker_connections 512; }
http {
  client_body_temp_path $RUN_DIR/nginx/body;
  proxy_temp_path $RUN_DIR/nginx/proxy;
  fastcgi_temp_path $RUN_DIR/nginx/fastcgi;
  uwsgi_temp_path $RUN_DIR/nginx/uwsgi;
  scgi_temp_path $RUN_DIR/nginx/scgi;
  map \$uri \$dualcap_id { ~^/[a-z]+/(?<rid>[^/]+)\$ \$rid; default ""; }
  log_format origin escape=json '{"id":"\$dualcap_id","headerId":"\$http_x_request_id","method":"\$request_method","path":"\$uri","peerAddress":"\$remote_addr","peerPort":\$remote_port,"localAddress":"\$server_addr","localPort":\$server_port,"xForwardedFor":null,"status":\$status,"time":\$msec}';
  server {
    listen $SERVER_IP:$ORIGIN_PORT deferred;
    access_log $RUN_DIR/origin-nginx.log origin;
    client_max_body_size 8m;
    location / { proxy_pass http://127.0.0.1:8081; }
  }
}
CFG
  start_bg nginx "$RUN_DIR/nginx.stdout" "$NS_SERVER" nginx -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx.conf"
  wait_listening "$NS_SERVER" "$ORIGIN_PORT" nginx "$RUN_DIR/nginx-error.log" "$RUN_DIR/nginx.stdout"
}
scenario_traffic() { run_client --prefix seed-defer --short 40 --concurrency 4 --silent-every 5 --silent-ms 3000; }
scenario_stop() { stop_bg nginx QUIT; stop_bg origin; }
