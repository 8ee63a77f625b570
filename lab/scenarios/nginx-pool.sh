# nginx-pool: nginx reverse proxy with an upstream keepalive pool: requests of many client connections
# share a few server connections, and each request gains X-Forwarded-For.
DESCRIPTION="nginx reverse proxy on VIP 10.99.1.10:80 with upstream keepalive (keepalive 4, proxy_http_version 1.1, Connection \"\"), adding X-Forwarded-For: client connections are terminated and their requests are carried by a small pool of reused server connections from 10.99.2.1."
CLIENT_FORMAT=pcap-us
SERVER_FORMAT=pcap-us
GZIP_CAPTURES=1
VIP_USED="\"$VIP\""
TARGET="$VIP:$VIP_PORT"

scenario_configure() {
  in_ns "$NS_MBOX" ip addr add "$VIP/32" dev mc
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
  log_format dualcap escape=json '{"id":"\$http_x_request_id","remoteAddr":"\$remote_addr","remotePort":"\$remote_port","connection":"\$connection","connectionRequests":"\$connection_requests","upstream":"\$upstream_addr","status":"\$status","time":"\$msec"}';
  upstream origin {
    server $SERVER_IP:$ORIGIN_PORT;
    keepalive 4;
  }
  server {
    listen $VIP:$VIP_PORT;
    access_log $RUN_DIR/nginx-access.log dualcap;
    client_max_body_size 8m;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CFG
  start_origin
  start_bg nginx "$RUN_DIR/nginx.stdout" "$NS_MBOX" nginx -p "$RUN_DIR/nginx" -c "$RUN_DIR/nginx.conf"
  wait_listening "$NS_MBOX" "$VIP_PORT" nginx "$RUN_DIR/nginx-error.log" "$RUN_DIR/nginx.stdout"
}
scenario_traffic() {
  run_client --prefix nginx --short 80 --concurrency 6 --multi-every 5 --down 1200000 --up 1000000
}
# SIGQUIT is nginx's graceful shutdown.
scenario_stop() { stop_bg nginx QUIT; stop_bg origin; }
