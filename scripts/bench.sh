#!/usr/bin/env bash
# `make bench`: builds the release binary and measures it beside the FastAPI peer
# (scripts/bench.py says what and how); writes docs/performance.md.
# Needs wrk, pgbench and psql (Debian: apt-get install wrk postgresql-client) and a PostgreSQL
# server at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
# Sizes: BENCH_SECONDS (10), BENCH_USERS (100000), BENCH_DEEP_USERS and
# BENCH_EXPIRED_TOKENS (1000000). BENCH_PARTS=audit runs only part 5 (the audit trail's cost),
# BENCH_PARTS=find only the filters on BENCH_DEEP_USERS users (about ten minutes),
# BENCH_PARTS=refused only refused tokens beside honest ones (BENCH_REFUSED_LEVELS).
# A full run takes over an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in wrk pgbench psql python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (Debian: apt-get install wrk postgresql-client python3)" >&2; exit 1; }
done
url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
pg_isready -q -t 3 -d "$url" || { echo "bench: no PostgreSQL answers at $url" >&2; exit 1; }
[[ -x ../shared/peer/bench.sh ]] || { echo "bench: the peer (../shared/peer/) is missing" >&2; exit 1; }

cargo build --quiet --release -p admin-http
cargo build --quiet --release -p admin-adapters --features testing --example hostile-tokens
target=${CARGO_TARGET_DIR:-target}/release
exec python3 scripts/bench.py "$target/admin-api" "$target/examples/hostile-tokens"
