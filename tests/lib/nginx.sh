# shellcheck shell=bash
# Start a real nginx on 127.0.0.1 for a test: source tests/lib/tap.sh first.
#   nginx_start DOCROOT [--tls]   sets NGINX_PORT, NGINX_URL (http://127.0.0.1:P)
#                                  and with --tls also NGINX_TLS_PORT,
#                                  NGINX_TLS_URL (https://localhost:P) and
#                                  NGINX_CA (a CA made by openssl now)
# nginx is stopped when the test exits.
nginx_start() {
	local root=$1 tls=${2:-} dir=$TAP_TMP/nginx
	# nginx workers run as nobody: mktemp -d's 0700 would make everything 403
	chmod 755 "$TAP_TMP"
	mkdir -p "$dir/logs" "$dir/tmp"
	NGINX_PORT=$(free_port)
	local tls_block=""
	if [ "$tls" = "--tls" ]; then
		NGINX_TLS_PORT=$(free_port)
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bootrino test CA" \
			-keyout "$dir/ca.key" -out "$dir/ca.pem" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
			-keyout "$dir/srv.key" -out "$dir/srv.csr" 2>/dev/null
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$dir/ext.cnf"
		openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-CAcreateserial -days 2 -extfile "$dir/ext.cnf" -out "$dir/srv.pem" 2>/dev/null
		# shellcheck disable=SC2034 # for the tests that source this file
		NGINX_CA=$dir/ca.pem
		# shellcheck disable=SC2034
		NGINX_TLS_URL=https://localhost:$NGINX_TLS_PORT
		tls_block="server { listen 127.0.0.1:$NGINX_TLS_PORT ssl; root $root;
			ssl_certificate $dir/srv.pem; ssl_certificate_key $dir/srv.key; }"
	fi
	cat > "$dir/nginx.conf" <<CONF
daemon on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 64; }
http {
	access_log $dir/logs/access.log;
	client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp;
	fastcgi_temp_path $dir/tmp; uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
	default_type application/octet-stream;
	sendfile on;
	server { listen 127.0.0.1:$NGINX_PORT; root $root; }
	$tls_block
}
CONF
	nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" || return 1
	NGINX_URL=http://127.0.0.1:$NGINX_PORT
	tap_on_exit "nginx -p '$dir' -c '$dir/nginx.conf' -e '$dir/logs/error.log' -s stop 2>/dev/null"
	local _
	for _ in $(seq 50); do
		curl -s -o /dev/null "$NGINX_URL/" && return 0
		sleep 0.1
	done
	return 1
}
