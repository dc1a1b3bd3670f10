#!/usr/bin/env bash
# `make lb-check`: the deployment shape of docker-compose.yml without Docker. Two release
# instances on one fresh PostgreSQL database (at 127.0.0.2 and 127.0.0.3 standing for the
# compose services api-1 and api-2), deploy/nginx.conf in front of them, then:
#   - requests through the balancer answer 200, reach both instances, keep X-Request-Id;
#   - metrics are on each instance's management port (9000), and a 404 through the balancer;
#   - SIGTERM to one instance under steady traffic: its /readyz fails at once, it exits 0,
#     and every request through the balancer still answers 200.
# Needs nginx (Debian: apt-get install nginx-light) and PostgreSQL at LB_DATABASE_URL
# (default postgres://postgres@127.0.0.1:5432/postgres). Exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nginx >/dev/null || { echo "lb-check: nginx is missing (apt-get install nginx-light)" >&2; exit 1; }
admin=${LB_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --quiet --release -p admin-http
bin=${CARGO_TARGET_DIR:-target}/release/admin-api

work=$(mktemp -d)
database=admin_lb_$RANDOM$RANDOM
pids=()
cleanup() {
  [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "lb-check: FAILED: $*" >&2; exit 1; }

psql -q "$admin" -c "CREATE DATABASE $database"
export DATABASE_URL=${admin%/*}/$database RUST_LOG=warn ADMIN_API_DRAIN_DELAY=2s
ADMIN_API_ROOT_KEY=$("$bin" keygen); export ADMIN_API_ROOT_KEY
"$bin" migrate >/dev/null
org=$("$bin" org create --name Platform --platform)
user=$("$bin" user create --email admin@example.com)
"$bin" member add --org "$org" --user "$user" --role admin
token=$("$bin" token issue --user "$user" --org "$org" --ttl 1h)

ADMIN_API_BIND=127.0.0.2:8080 ADMIN_API_MANAGEMENT_BIND=127.0.0.2:9000 "$bin" serve & pids+=($!); api1=$!
ADMIN_API_BIND=127.0.0.3:8080 ADMIN_API_MANAGEMENT_BIND=127.0.0.3:9000 "$bin" serve & pids+=($!)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/logs"
sed -e 's/api-1:8080/127.0.0.2:8080/; s/api-2:8080/127.0.0.3:8080/' \
    -e "s/listen 8080;/listen 127.0.0.1:$port;/" deploy/nginx.conf > "$work/nginx.conf"
for host in 127.0.0.2 127.0.0.3; do
  for _ in $(seq 100); do curl -sf "http://$host:8080/readyz" >/dev/null && break; sleep 0.1; done
done
nginx -p "$work" -c "$work/nginx.conf" -g "pid $work/nginx.pid; error_log $work/logs/error.log;"
sleep 0.3
lb=http://127.0.0.1:$port/v1/admin/platform-status
status() { curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $token" "$lb"; }

echo "through the balancer:"
head=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $token" -H "X-Request-Id: lb-check-1" "$lb")
grep -q "^HTTP/1.1 200" <<<"$head" || fail "platform-status: $head"
grep -qi "^x-request-id: lb-check-1" <<<"$head" || fail "X-Request-Id not kept: $head"
codes=$(for _ in $(seq 40); do status; done | sort | uniq -c)
echo "$codes"
[[ $(wc -l <<<"$codes") == 1 && $codes == *" 200" ]] || fail "not every answer was 200"
metrics=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
echo "  /metrics through the balancer: $metrics"
[[ $metrics == 404 ]] || fail "metrics are reachable through the balancer"
for host in 127.0.0.2 127.0.0.3; do
  served=$(curl -s "http://$host:9000/metrics" | grep '^admin_api_http_requests_total' | grep platform-status | awk '{s += $NF} END {print s + 0}')
  echo "  instance $host served $served"
  (( served > 0 )) || fail "instance $host got no traffic"
done

echo "SIGTERM to the first instance under steady traffic:"
(for _ in $(seq 300); do status; sleep 0.01; done > "$work/codes") & traffic=$!
sleep 0.5
kill -TERM "$api1"
sleep 0.2
ready=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.2:8080/readyz)
echo "  its /readyz while draining: $ready"
[[ $ready == 503 ]] || fail "readiness did not fail while draining"
code=0; wait "$api1" || code=$?
echo "  it exited with $code"
[[ $code == 0 ]] || fail "the drained instance exited $code"
wait "$traffic"
sort "$work/codes" | uniq -c
[[ $(sort -u "$work/codes") == 200 ]] || fail "a request through the balancer failed during the drain"
echo "lb-check: passed"
