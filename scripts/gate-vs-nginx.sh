#!/usr/bin/env bash
# gate-vs-nginx.sh — /gate/auth of `beian gate` against nginx's fixed
# `return 204;`, side by side in one run (docs/performance.md, "The gate").
#
# Both servers are pinned to CPU 0 and wrk (-t1 -c64, HTTP/1.1 keep-alive)
# to CPU 1; every request carries another Host from the gate's synthetic
# sample (80% filed: apex, www. and deeper; 20% unfiled). The gate serves
# N synthetic domains from memory (--synthetic, no database). `beian gate`
# serves /gate/auth with fasthttp; with NETHTTP=1 (the default) a second
# gate with --net-http runs too, for comparison. The rounds alternate
# gate, nginx[, net/http gate], … and each ratio is that server's
# requests per second over nginx's, over the sums.
#
# Needs: go, nginx, wrk, curl, taskset (Debian: apt-get install -y nginx wrk curl util-linux).
# Usage: scripts/gate-vs-nginx.sh   (environment: N=10000000 DURATION=15s CONNS=64 ROUNDS=2 NETHTTP=1)
set -euo pipefail

N=${N:-10000000}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-64}
ROUNDS=${ROUNDS:-2}
GATE_PORT=${GATE_PORT:-18482}
NGINX_PORT=${NGINX_PORT:-18483}
NETHTTP=${NETHTTP:-1}
STD_PORT=${STD_PORT:-18484}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

cd "$(dirname "$0")/.."
dir=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

go build -o "$dir/beian" ./cmd/beian

cat >"$dir/hosts.lua" <<'LUA'
local hosts = {}
for line in io.lines(os.getenv("GATE_HOSTS")) do hosts[#hosts + 1] = line end
local i = 0
request = function()
	i = i % #hosts + 1
	return wrk.format("GET", "/gate/auth", { ["Host"] = hosts[i] })
end
LUA

mkdir -p "$dir/nginx"
cat >"$dir/nginx/nginx.conf" <<CONF
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes 1;
error_log $dir/nginx/error.log warn;
pid $dir/nginx/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 100000000;
	client_body_temp_path $dir/nginx/body;
	proxy_temp_path $dir/nginx/proxy;
	fastcgi_temp_path $dir/nginx/fastcgi;
	uwsgi_temp_path $dir/nginx/uwsgi;
	scgi_temp_path $dir/nginx/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location / { return 204; }
	}
}
CONF

echo "starting beian gate with $N synthetic domains on CPU 0 …" >&2
taskset -c 0 "$dir/beian" gate --synthetic "$N" --synthetic-hosts "$dir/hosts" \
	--addr "127.0.0.1:$GATE_PORT" --log-level warn &
pids+=($!)
until curl -fsS "http://127.0.0.1:$GATE_PORT/readyz" >/dev/null 2>&1; do sleep 0.5; done
if [ "$NETHTTP" = 1 ]; then
	echo "starting beian gate --net-http with $N synthetic domains on CPU 0 …" >&2
	taskset -c 0 "$dir/beian" gate --net-http --synthetic "$N" --addr "127.0.0.1:$STD_PORT" --log-level warn &
	pids+=($!)
	until curl -fsS "http://127.0.0.1:$STD_PORT/readyz" >/dev/null 2>&1; do sleep 0.5; done
fi
taskset -c 0 "$NGINX" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
until curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/"; do sleep 0.2; done

# Sanity: the gate answers 204 and 403 over the sample.
for h in $(head -5 "$dir/hosts"); do
	curl -s -o /dev/null -w "$h %{http_code}\n" -H "Host: $h" "http://127.0.0.1:$GATE_PORT/gate/auth" >&2
done

bench() { # port → requests per second
	GATE_HOSTS="$dir/hosts" taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" -s "$dir/hosts.lua" "http://127.0.0.1:$1/gate/auth" |
		awk '/^Requests\/sec:/ { print $2 }'
}

ratio() { awk -v g="$1" -v n="$2" 'BEGIN { printf "%.2f", g / n }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
gate_sum=0 nginx_sum=0 std_sum=0
for r in $(seq "$ROUNDS"); do
	g=$(bench "$GATE_PORT")
	n=$(bench "$NGINX_PORT")
	line="round $r: gate (fasthttp) $g req/s, nginx $n req/s, ratio $(ratio "$g" "$n")"
	gate_sum=$(add "$gate_sum" "$g")
	nginx_sum=$(add "$nginx_sum" "$n")
	if [ "$NETHTTP" = 1 ]; then
		s=$(bench "$STD_PORT")
		line="$line; gate (net/http) $s req/s, ratio $(ratio "$s" "$n")"
		std_sum=$(add "$std_sum" "$s")
	fi
	echo "$line"
done
awk -v g="$gate_sum" -v n="$nginx_sum" -v d="$N" 'BEGIN { printf "gate / nginx return 204 with %d domains: %.2f (floor 0.80, target 1.00)\n", d, g / n }'
if [ "$NETHTTP" = 1 ]; then
	awk -v g="$std_sum" -v n="$nginx_sum" 'BEGIN { printf "net/http gate / nginx: %.2f (for comparison)\n", g / n }'
fi
