#!/usr/bin/env bash
# `make test`: every test, in parallel, each storage test on its own fresh database; then the
# sibling-service example and the README's examples.
#
# PostgreSQL tests use TEST_DATABASE_URL (a server where `CREATE DATABASE` is allowed),
# default postgres://postgres@127.0.0.1:5432/postgres. When that server is unreachable they
# are skipped, and this script says so at the end; with CI=true that is a failure instead.
set -euo pipefail
cd "$(dirname "$0")/.."

export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export RUST_BACKTRACE=${RUST_BACKTRACE:-0}

postgres_reachable() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -t 3 -d "$TEST_DATABASE_URL"
  else
    local rest=${TEST_DATABASE_URL#*://}; rest=${rest#*@}; local hostport=${rest%%/*}
    local host=${hostport%:*} port=${hostport##*:}; [[ $hostport == *:* ]] || port=5432
    timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
  fi
}

if postgres_reachable; then
  postgres="PostgreSQL ($TEST_DATABASE_URL): ran"
elif [[ ${CI:-} == true ]]; then
  echo "error: CI needs PostgreSQL for the storage tests, and $TEST_DATABASE_URL is unreachable" >&2
  exit 1
else
  postgres="PostgreSQL: SKIPPED, no server at $TEST_DATABASE_URL (set TEST_DATABASE_URL to run them)"
fi

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-features --no-fail-fast --status-level fail --final-status-level slow
  cargo test --workspace --all-features --doc --quiet
else
  cargo test --workspace --all-features --quiet
fi
# A sibling service built on the domain crate alone, with the mocks (crates/domain/examples).
cargo run --quiet -p admin-domain --features mocks --example sibling
# The README's examples, run as written against a served instance.
python3 scripts/readme-check.py

echo
echo "Backends tested:"
echo "  SQLite: ran"
echo "  $postgres"
